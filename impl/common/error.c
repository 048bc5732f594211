#include "cpat/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cpat_strerror(int err) {
    switch (err) {
    case 0:
        return "success";
    case EAGAIN:
        return "operation would block";
    case EPIPE:
        return "channel closed";
    case ECANCELED:
        return "context cancelled";
    case ETIMEDOUT:
        return "context deadline exceeded";
    case EINVAL:
        return "invalid use";
    default:
        return strerror(err);
    }
}

_Noreturn void cpat_die_at(const char *file, int line, const char *call, int err) {
    fprintf(stderr, "cpat: %s:%d: %s failed: %s\n", file, line, call, strerror(err));
    abort();
}

_Noreturn void cpat_misuse(const char *call, const char *what) {
    fprintf(stderr, "cpat: %s: %s\n", call, what);
    abort();
}
