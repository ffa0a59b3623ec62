/* What a produce run reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "produce/produce_progress.h"

static void test_summary_line(void **unused)
{
    char line[256];

    produce_summary_format(line, sizeof(line), 200000, 1000, "clicks", 0.5);
    assert_string_equal(line, "produced 200000 records (1000 bad) to clicks in 0.50 s "
                              "(400000 records/s)");
    produce_summary_format(line, sizeof(line), 0, 0, "t", 0);
    assert_string_equal(line, "produced 0 records (0 bad) to t in 0.00 s (0 records/s)");
}

/* Not a terminal: no progress line, only the summary. */
static void test_file_output_gets_only_the_summary(void **unused)
{
    char *text = NULL;
    size_t text_size = 0;
    FILE *out = open_memstream(&text, &text_size);
    struct produce_progress progress;

    assert_non_null(out);
    produce_progress_start(&progress, out, 3);
    for (uint64_t i = 1; i <= 3; i++)
        produce_progress_update(&progress, i);
    produce_progress_clear(&progress);
    produce_progress_finish(&progress, 3, 1, "t");
    fclose(out);
    assert_true(strncmp(text, "produced 3 records (1 bad) to t in ", 35) == 0);
    assert_non_null(strstr(text, " records/s)\n"));
    assert_null(strchr(text, '\r'));
    assert_int_equal(strchr(text, '\n') - text + 1, (long)strlen(text));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_line),
        cmocka_unit_test(test_file_output_gets_only_the_summary),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
