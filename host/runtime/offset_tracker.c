#include "runtime/offset_tracker.h"

void offset_tracker_init(offset_tracker *tracker, int64_t committed_offset)
{
    tracker->next_offset = OFFSET_UNSET;
    tracker->stop_offset = OFFSET_UNSET;
    tracker->committed_offset = committed_offset >= 0 ? committed_offset : OFFSET_UNSET;
    tracker->committed_next = OFFSET_UNSET;
    tracker->resend = 0;
}

void offset_tracker_processed(offset_tracker *tracker, int64_t next_offset)
{
    if (next_offset > tracker->next_offset)
        tracker->next_offset = next_offset;
}

void offset_tracker_stop_at(offset_tracker *tracker, int64_t offset)
{
    if (offset < 0)
        return;
    if (tracker->stop_offset == OFFSET_UNSET || offset < tracker->stop_offset)
        tracker->stop_offset = offset;
}

int64_t offset_tracker_commit_point(const offset_tracker *tracker, int64_t retain_offset)
{
    if (tracker->next_offset == OFFSET_UNSET)
        return OFFSET_UNSET;
    int64_t point = tracker->next_offset;
    if (retain_offset >= 0 && retain_offset < point)
        point = retain_offset;
    if (tracker->stop_offset != OFFSET_UNSET && tracker->stop_offset < point)
        point = tracker->stop_offset;
    if (tracker->committed_offset != OFFSET_UNSET && point <= tracker->committed_offset)
        return tracker->resend || (tracker->stop_offset == OFFSET_UNSET &&
                                   tracker->next_offset > tracker->committed_next)
                   ? tracker->committed_offset
                   : OFFSET_UNSET;
    return point;
}

void offset_tracker_committed(offset_tracker *tracker, int64_t offset)
{
    if (offset >= tracker->committed_offset) {
        tracker->committed_offset = offset;
        tracker->committed_next = tracker->next_offset;
        tracker->resend = 0;
    }
}

void offset_tracker_commit_failed(offset_tracker *tracker, int64_t offset)
{
    if (offset >= 0 && offset == tracker->committed_offset)
        tracker->resend = 1;
}
