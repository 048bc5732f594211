/* ThreadSanitizer detection.  cpat's own primitives carry no TSan
 * annotations: every happens-before edge comes from an _explicit atomic that
 * TSan models, so the TSan build checks the protocols instead of trusting
 * them.  CPAT_TSAN lets the harnesses stretch their time budgets (TSan runs
 * atomics 5-20x slower). */
#ifndef CPAT_COMMON_TSAN_H
#define CPAT_COMMON_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define CPAT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CPAT_TSAN 1
#endif
#endif
#ifndef CPAT_TSAN
#define CPAT_TSAN 0
#endif

#endif
