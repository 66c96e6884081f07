/* test_rotate.c: the durations of --rotate-interval and --keep
 * (lib/pipeline/rotate.c). The rotation itself is tested end to end by
 * tests/e2e/test_engine_rotate.sh. */
#include <criterion/criterion.h>

#include "pipeline/rotate.h"

#define S INT64_C(1000000000)

Test(rotate, durations)
{
	int64_t ns = -1;
	cr_assert_eq(rotate_parse_duration("90", &ns), 0);
	cr_assert_eq(ns, 90 * S);
	cr_assert_eq(rotate_parse_duration("2s", &ns), 0);
	cr_assert_eq(ns, 2 * S);
	cr_assert_eq(rotate_parse_duration("15m", &ns), 0);
	cr_assert_eq(ns, 900 * S);
	cr_assert_eq(rotate_parse_duration("1h", &ns), 0);
	cr_assert_eq(ns, 3600 * S);
	cr_assert_eq(rotate_parse_duration("7d", &ns), 0);
	cr_assert_eq(ns, 7 * 86400 * S);
	cr_assert_eq(rotate_parse_duration("4w", &ns), 0);
	cr_assert_eq(ns, 28 * 86400 * S);
	cr_assert_eq(rotate_parse_duration("0", &ns), 0);
	cr_assert_eq(ns, 0);
}

Test(rotate, not_durations)
{
	int64_t ns = 42;
	const char *bad[] = { "", "h", "-1h", "1x", "1hh", "1 h", "1.5h", " 1h", "99999999999999999999",
			      "9999999999999d", NULL };
	for (const char **b = bad; *b; b++)
		cr_assert_eq(rotate_parse_duration(*b, &ns), -1, "'%s' accepted", *b);
	cr_assert_eq(ns, 42);
}
