/* cpat: Go's concurrency patterns in C.  Include this for everything. */
#ifndef CPAT_H
#define CPAT_H

#include "cpat/error.h"
#include "cpat/mutex.h"
#include "cpat/registry.h"

#endif
