/*
 * leakcheck: a leak check at the end of every unit test. Criterion counts
 * a worker that LeakSanitizer caught leaking as passing, so under ASan
 * each test must look for leaks itself; without ASan the weak symbol is
 * NULL and the check does nothing.
 *
 * The check cannot be a .fini: Criterion (2.4) decides pass or fail when
 * the test function returns, before any fini runs, so a failed assertion
 * in a fini is printed and then ignored (test and binary both pass). So
 * this header redefines Test: the body given becomes a function of its own
 * and the test Criterion runs is that body followed by leakcheck_assert(),
 * still inside the test. A body cut short by a failed assertion or a skip
 * is not checked (it has failed already, or does not count). Include it
 * after <criterion/criterion.h> (it includes it itself) and before the
 * first Test. Leaks that a .init and .fini share through a static are
 * still reachable at the check, so they are not reported.
 *
 * test_redis.c and test_l2.c (redisfix) call it from their finish().
 */
#ifndef GHPOOL_TEST_LEAKCHECK_H
#define GHPOOL_TEST_LEAKCHECK_H

#include <criterion/criterion.h>

extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* Fails the calling test on anything unreachable (the stacks go to stderr). */
static inline void
leakcheck_assert(void)
{
	if (__lsan_do_recoverable_leak_check != NULL)
		cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "memory leaked (see above)");
}

/* Test(suite, name, options...) as Criterion's, plus the check. */
#undef Test
#define Test(...) LEAKCHECK_TEST_(__VA_ARGS__, .sentinel_ = 0)
#define LEAKCHECK_TEST_(Suite, Name, ...)                               \
	static void CR_IDENTIFIER_(Suite, Name, body)(void);            \
	CR_TEST_BASE(Suite, Name, __VA_ARGS__)                          \
	{                                                               \
		CR_IDENTIFIER_(Suite, Name, body)();                    \
		leakcheck_assert();                                     \
	}                                                               \
	static void CR_IDENTIFIER_(Suite, Name, body)(void)

#endif
