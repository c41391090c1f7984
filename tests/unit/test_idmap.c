/*
 * test_idmap.c - the bounded id map: values, replacement, eviction, age.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "idmap.h"
#include "leakcheck.h"

Test(idmap, put_get_replace)
{
	struct idmap *m = idmap_new(4, 60000);
	char out[64];

	cr_expect_not(idmap_get(m, "1001", 4, out, sizeof(out)));
	idmap_put(m, "1001", 4, "octo-org");
	cr_assert(idmap_get(m, "1001", 4, out, sizeof(out)));
	cr_expect_str_eq(out, "octo-org");
	idmap_put(m, "1001", 4, "alice");
	cr_assert(idmap_get(m, "1001", 4, out, sizeof(out)));
	cr_expect_str_eq(out, "alice");
	cr_expect_eq(idmap_count(m), 1);
	/* Keys are slices: a prefix is another key. */
	cr_expect_not(idmap_get(m, "100", 3, out, sizeof(out)));
	/* Too small an output buffer is a miss, never a cut value. */
	cr_expect_not(idmap_get(m, "1001", 4, out, 3));
	idmap_free(m);
}

Test(idmap, oldest_is_evicted)
{
	struct idmap *m = idmap_new(3, 60000);
	char key[16], out[16];

	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		idmap_put(m, key, strlen(key), key);
	}
	cr_expect_eq(idmap_count(m), 3);
	cr_expect_not(idmap_get(m, "k0", 2, out, sizeof(out)));
	cr_expect_not(idmap_get(m, "k1", 2, out, sizeof(out)));
	for (int i = 2; i < 5; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		cr_expect(idmap_get(m, key, strlen(key), out, sizeof(out)), "%s", key);
	}
	idmap_clear(m);
	cr_expect_eq(idmap_count(m), 0);
	cr_expect_not(idmap_get(m, "k4", 2, out, sizeof(out)));
	idmap_free(m);
}

Test(idmap, entries_expire)
{
	struct idmap *m = idmap_new(8, 50);
	char out[16];

	idmap_put(m, "a", 1, "x");
	cr_expect(idmap_get(m, "a", 1, out, sizeof(out)));
	usleep(80 * 1000);
	cr_expect_not(idmap_get(m, "a", 1, out, sizeof(out)));
	idmap_free(m);
}

Test(idmap, oversized_is_not_kept)
{
	struct idmap *m = idmap_new(8, 60000);
	char big[300], out[400];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	idmap_put(m, big, strlen(big), "v");
	idmap_put(m, "k", 1, big);
	idmap_put(m, "", 0, "v");
	cr_expect_eq(idmap_count(m), 0);
	cr_expect_not(idmap_get(m, "k", 1, out, sizeof(out)));
	idmap_free(m);
}
