/* cpat: Go's concurrency patterns in C.  Include this for everything. */
#ifndef CPAT_H
#define CPAT_H

#include "cpat/chan.h"
#include "cpat/context.h"
#include "cpat/error.h"
#include "cpat/mutex.h"
#include "cpat/once.h"
#include "cpat/pool.h"
#include "cpat/registry.h"
#include "cpat/rwlock.h"
#include "cpat/waitgroup.h"

#endif
