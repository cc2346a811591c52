package instainstru

import (
	"testing"
	"time"
)

func TestResolveLocalAcrossTransitions(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	syd, _ := time.LoadLocation("Australia/Sydney")
	cases := []struct {
		name string
		loc  *time.Location
		date Date
		at   string
		want string // RFC 3339 UTC, or "" for invalid_local_time
	}{
		{"NY ordinary", ny, Date{2026, 3, 7}, "10:00", "2026-03-07T15:00:00Z"},
		{"NY spring-forward gap", ny, Date{2026, 3, 8}, "02:30", ""},
		{"NY gap start", ny, Date{2026, 3, 8}, "02:00", ""},
		{"NY just after gap", ny, Date{2026, 3, 8}, "03:00", "2026-03-08T07:00:00Z"},
		{"NY just before gap", ny, Date{2026, 3, 8}, "01:45", "2026-03-08T06:45:00Z"},
		{"NY fall-back ambiguous is the first (EDT)", ny, Date{2026, 11, 1}, "01:30", "2026-11-01T05:30:00Z"},
		{"NY after fall-back", ny, Date{2026, 11, 1}, "02:00", "2026-11-01T07:00:00Z"},
		{"Sydney spring-forward gap (southern October)", syd, Date{2026, 10, 4}, "02:30", ""},
		{"Sydney after gap", syd, Date{2026, 10, 4}, "03:00", "2026-10-03T16:00:00Z"},
		{"Sydney fall-back ambiguous is the first (AEDT)", syd, Date{2026, 4, 5}, "02:30", "2026-04-04T15:30:00Z"},
		{"Sydney midnight", syd, Date{2026, 7, 1}, "00:00", "2026-06-30T14:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := ParseMinute(c.at, false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ResolveLocal(c.date, m, c.loc)
			if c.want == "" {
				if ErrorCode(err) != CodeInvalidLocalTime {
					t.Fatalf("want invalid_local_time, got %v %v", got, err)
				}
				return
			}
			if err != nil || got.UTC().Format(time.RFC3339) != c.want {
				t.Fatalf("got %v %v, want %s", got.UTC(), err, c.want)
			}
		})
	}
}

func TestParseMinuteAndDates(t *testing.T) {
	for _, bad := range []string{"", "9:00", "24:01", "25:00", "12:60", "-1:00", "ab:cd", "12:5", "+1:00"} {
		if _, err := ParseMinute(bad, true); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseMinute("24:00", false); err == nil {
		t.Error("24:00 accepted as a start")
	}
	if m, err := ParseMinute("24:00", true); err != nil || m != EndOfDay {
		t.Errorf("24:00 as end: %v %v", m, err)
	}
	if _, err := ParseDate("2026-02-30"); err == nil {
		t.Error("2026-02-30 accepted")
	}
	d := Date{2026, 11, 22} // a Sunday
	if d.WeekStart() != (Date{2026, 11, 16}) {
		t.Errorf("week start of %s = %s", d, d.WeekStart())
	}
	if (Date{2026, 11, 16}).WeekStart() != (Date{2026, 11, 16}) {
		t.Error("a Monday is its own week start")
	}
}

func TestNormalizeAndSubtractRanges(t *testing.T) {
	r := func(a, b int) TimeRange { return TimeRange{Minute(a * 60), Minute(b * 60)} }
	got := NormalizeRanges([]TimeRange{r(13, 15), r(9, 10), r(10, 11), r(14, 16), r(18, 19)})
	want := []TimeRange{r(9, 11), r(13, 16), r(18, 19)}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v want %v", got, want)
		}
	}
	left := SubtractRanges([]TimeRange{r(9, 17)}, []TimeRange{r(10, 11), r(12, 13), r(16, 18)})
	if len(left) != 3 || left[0] != r(9, 10) || left[1] != r(11, 12) || left[2] != r(13, 16) {
		t.Fatalf("subtract: %v", left)
	}
	if PriceCents(7000, 90) != 10500 || PriceCents(4999, 45) != 3749 || PriceCents(1001, 15) != 250 {
		t.Fatal("price rounding")
	}
}
