package instainstru

import (
	"context"
	"sort"
)

// TimeRange is a half-open wall-clock range [Start, End) on one date.
type TimeRange struct {
	Start Minute
	End   Minute
}

// Len is the range's length in minutes.
func (r TimeRange) Len() int { return int(r.End - r.Start) }

// Contains reports whether o lies entirely inside r.
func (r TimeRange) Contains(o TimeRange) bool { return o.Start >= r.Start && o.End <= r.End }

// Overlaps reports whether r and o share any minute.
func (r TimeRange) Overlaps(o TimeRange) bool { return r.Start < o.End && o.Start < r.End }

// NormalizeRanges sorts ranges and merges those that overlap or touch, so 09:00–10:00 and
// 10:00–11:00 become 09:00–11:00. The input is not modified.
func NormalizeRanges(in []TimeRange) []TimeRange {
	if len(in) == 0 {
		return []TimeRange{}
	}
	rs := append([]TimeRange(nil), in...)
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Start != rs[j].Start {
			return rs[i].Start < rs[j].Start
		}
		return rs[i].End < rs[j].End
	})
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r.Start <= last.End {
			if r.End > last.End {
				last.End = r.End
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// SubtractRanges removes every range of cut from the normalized ranges base.
func SubtractRanges(base, cut []TimeRange) []TimeRange {
	out := make([]TimeRange, 0, len(base))
	cut = NormalizeRanges(cut)
	for _, b := range base {
		cur := b
		alive := true
		for _, c := range cut {
			if c.End <= cur.Start || c.Start >= cur.End {
				continue
			}
			if c.Start > cur.Start {
				out = append(out, TimeRange{cur.Start, c.Start})
			}
			if c.End >= cur.End {
				alive = false
				break
			}
			cur.Start = c.End
		}
		if alive && cur.Start < cur.End {
			out = append(out, cur)
		}
	}
	return out
}

// DayAvailability is the availability of one date.
type DayAvailability struct {
	Date   Date
	Ranges []TimeRange
}

// Week is an instructor's availability for the Monday–Sunday week starting at Start: exactly
// seven days, in order, each with normalized ranges (possibly none).
type Week struct {
	Start    Date
	Timezone string
	Days     []DayAvailability
}

// BlackoutDate is a date on which an instructor is not available and patterns do not apply.
type BlackoutDate struct {
	Date   Date
	Reason string
}

// AvailabilityService is every availability read and write an instructor makes. Writes are
// serialized per instructor (the actors package implements it).
type AvailabilityService interface {
	GetWeek(ctx context.Context, instructorID string, weekStart Date) (*Week, error)
	PutWeek(ctx context.Context, instructorID string, week *Week) (*Week, error)
	CopyWeek(ctx context.Context, instructorID string, from, to Date) (*Week, error)
	ApplyPattern(ctx context.Context, instructorID string, fromWeek, start, end Date) (int, error)
	AddBlackout(ctx context.Context, instructorID string, b BlackoutDate) (*BlackoutDate, error)
	ListBlackouts(ctx context.Context, instructorID string) ([]BlackoutDate, error)
	RemoveBlackout(ctx context.Context, instructorID string, d Date) error
}
