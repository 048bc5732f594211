/* cpat error model.
 *
 * Every fallible operation returns 0 or a positive errno-style code and never
 * touches errno:
 *   EAGAIN     the operation would block (try-variants)
 *   EPIPE      the channel is closed
 *   ECANCELED  the context was cancelled
 *   ETIMEDOUT  the context's deadline passed
 *   EINVAL     misuse that Go would panic on (unlock of an unlocked mutex, ...)
 * Operations that cannot fail return void.  A syscall failure that cannot
 * happen in a correct program calls cpat_die(): one line on stderr naming the
 * file, line, call and error, then abort().
 */
#ifndef CPAT_ERROR_H
#define CPAT_ERROR_H

#ifdef __cplusplus
#define CPAT_NORETURN [[noreturn]]
extern "C" {
#else
#define CPAT_NORETURN _Noreturn
#endif

const char *cpat_strerror(int err);

CPAT_NORETURN void cpat_die_at(const char *file, int line, const char *call, int err);
#define cpat_die(call, err) cpat_die_at(__FILE__, __LINE__, (call), (err))

/* Misuse that cannot be reported through a return code (a void operation,
 * or a call that published its effect before it could check, as a
 * waitgroup's add()): one line "cpat: <call>: <what>" on stderr, then
 * abort(). */
CPAT_NORETURN void cpat_misuse(const char *call, const char *what);

#ifdef __cplusplus
}
#endif

#endif
