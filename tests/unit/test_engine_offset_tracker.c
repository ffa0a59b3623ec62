/* How far a partition may be committed: processed, retained, stopped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pipehost/plugin.h"
#include "runtime/offset_tracker.h"

static void nothing_processed_commits_nothing(void **state)
{
    (void)state;
    offset_tracker t;
    offset_tracker_init(&t, OFFSET_UNSET);
    assert_int_equal(offset_tracker_commit_point(&t, PH_OFFSET_NONE), OFFSET_UNSET);
    assert_int_equal(offset_tracker_commit_point(&t, 5), OFFSET_UNSET);
}

static void commits_after_the_last_processed_record(void **state)
{
    (void)state;
    offset_tracker t;
    offset_tracker_init(&t, OFFSET_UNSET);
    offset_tracker_processed(&t, 100); /* records 0..99 done */
    assert_int_equal(offset_tracker_commit_point(&t, PH_OFFSET_NONE), 100);
}

static void a_retain_offset_holds_the_commit_back(void **state)
{
    (void)state;
    offset_tracker t;
    offset_tracker_init(&t, 10);
    offset_tracker_processed(&t, 100);
    /* An open window still needs offset 42: replay must start there. */
    assert_int_equal(offset_tracker_commit_point(&t, 42), 42);
    /* A retain offset past what was processed does not push beyond it. */
    assert_int_equal(offset_tracker_commit_point(&t, 250), 100);
}

static void a_held_commit_is_sent_again_when_processing_moved_on(void **state)
{
    (void)state;
    offset_tracker t;
    offset_tracker_init(&t, OFFSET_UNSET);
    offset_tracker_processed(&t, 100);
    assert_int_equal(offset_tracker_commit_point(&t, 42), 42);
    offset_tracker_committed(&t, 42);
    /* Nothing processed since: nothing to send. */
    assert_int_equal(offset_tracker_commit_point(&t, 42), OFFSET_UNSET);
    /* Processing moved on while the window still holds 42: the same
     * offset goes out again, with the new progress in its metadata. */
    offset_tracker_processed(&t, 180);
    assert_int_equal(offset_tracker_commit_point(&t, 42), 42);
    offset_tracker_committed(&t, 42);
    assert_int_equal(offset_tracker_commit_point(&t, 42), OFFSET_UNSET);
    /* After a failure, progress is not durable: nothing is sent for it. */
    offset_tracker_stop_at(&t, 190);
    offset_tracker_processed(&t, 250);
    assert_int_equal(offset_tracker_commit_point(&t, 42), OFFSET_UNSET);
}

static void never_moves_backwards(void **state)
{
    (void)state;
    offset_tracker t;
    offset_tracker_init(&t, 50);
    offset_tracker_processed(&t, 100);
    /* A retain offset before the committed one keeps it where it is (sent
     * once more, with the progress made since the restart), never less. */
    assert_int_equal(offset_tracker_commit_point(&t, 30), 50);
    offset_tracker_committed(&t, 50);
    assert_int_equal(offset_tracker_commit_point(&t, 30), OFFSET_UNSET);
    assert_int_equal(offset_tracker_commit_point(&t, 50), OFFSET_UNSET);
    assert_int_equal(offset_tracker_commit_point(&t, 51), 51);
    offset_tracker_committed(&t, 51);
    assert_int_equal(offset_tracker_commit_point(&t, 51), OFFSET_UNSET);
    assert_int_equal(offset_tracker_commit_point(&t, PH_OFFSET_NONE), 100);
    offset_tracker_committed(&t, 100);
    assert_int_equal(offset_tracker_commit_point(&t, PH_OFFSET_NONE), OFFSET_UNSET);
    offset_tracker_committed(&t, 60); /* a late, older acknowledgement */
    assert_int_equal(t.committed_offset, 100);
}

static void a_failed_commit_is_sent_again(void **state)
{
    (void)state;
    offset_tracker t;
    offset_tracker_init(&t, OFFSET_UNSET);
    offset_tracker_processed(&t, 100);
    offset_tracker_committed(&t, 100); /* sent asynchronously */
    assert_int_equal(offset_tracker_commit_point(&t, PH_OFFSET_NONE), OFFSET_UNSET);
    offset_tracker_commit_failed(&t, 100); /* the broker was down */
    assert_int_equal(offset_tracker_commit_point(&t, PH_OFFSET_NONE), 100);
    /* A retain offset below it does not pull the resent commit back. */
    assert_int_equal(offset_tracker_commit_point(&t, 40), 100);
    offset_tracker_committed(&t, 100);
    assert_int_equal(offset_tracker_commit_point(&t, PH_OFFSET_NONE), OFFSET_UNSET);
    /* The failure of an older commit, overtaken by a newer one, is moot. */
    offset_tracker_processed(&t, 150);
    offset_tracker_committed(&t, 150);
    offset_tracker_commit_failed(&t, 100);
    assert_int_equal(offset_tracker_commit_point(&t, PH_OFFSET_NONE), OFFSET_UNSET);
}

static void a_stop_pins_the_commit_at_the_failed_record(void **state)
{
    (void)state;
    offset_tracker t;
    offset_tracker_init(&t, OFFSET_UNSET);
    offset_tracker_processed(&t, 100);
    offset_tracker_stop_at(&t, 70);
    offset_tracker_stop_at(&t, 90); /* a later stop does not move it */
    assert_int_equal(offset_tracker_commit_point(&t, PH_OFFSET_NONE), 70);
    assert_int_equal(offset_tracker_commit_point(&t, 60), 60);
    offset_tracker_processed(&t, 200);
    assert_int_equal(offset_tracker_commit_point(&t, PH_OFFSET_NONE), 70);
    offset_tracker_stop_at(&t, 65);
    assert_int_equal(offset_tracker_commit_point(&t, PH_OFFSET_NONE), 65);
}

static void processed_only_grows(void **state)
{
    (void)state;
    offset_tracker t;
    offset_tracker_init(&t, OFFSET_UNSET);
    offset_tracker_processed(&t, 100);
    offset_tracker_processed(&t, 80);
    assert_int_equal(t.next_offset, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_processed_commits_nothing),
        cmocka_unit_test(commits_after_the_last_processed_record),
        cmocka_unit_test(a_retain_offset_holds_the_commit_back),
        cmocka_unit_test(a_held_commit_is_sent_again_when_processing_moved_on),
        cmocka_unit_test(never_moves_backwards),
        cmocka_unit_test(a_failed_commit_is_sent_again),
        cmocka_unit_test(a_stop_pins_the_commit_at_the_failed_record),
        cmocka_unit_test(processed_only_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
