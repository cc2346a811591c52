package query

import (
	"testing"
	"time"
)

// TestNLSExamples is NLS.md section 5, now = Wednesday 2026-11-18 10:00 America/New_York.
func TestNLSExamples(t *testing.T) {
	r := testReader(t)
	for _, c := range []struct{ q, spec string }{
		{"piano under $80", "svc=Piano max=8000 sq=piano"},
		{"music lessons", "cat=music sq=music"},
		{"spanish tomorrow", "svc=Spanish on=2026-11-19"},
		{"keyboard lessons for kids", "svc=Piano lvl=kids sq=keyboard"},
		{"guitar or ukulele", "svc=Guitar|Ukulele"},
		{"math tutor this weekend", "svc=Math from=2026-11-21 to=2026-11-22 sq=math"},
		{"lessons under $50", "kind=all max=5000 sq="},
		{"pianno", "svc=Piano typo sq=pianno"},
		{"yoga in the evening", "svc=Yoga after=17:00 before=22:00"},
		{"online french between $40 and $60", "svc=French lt=online min=4000 max=6000"},
		{"30 minute violin lesson under $40", "svc=Violin dur=30 max=4000"},
		{"sat prep in brooklyn", "svc=SAT_Prep loc=brooklyn"},
		{"xqzv", "kind=pending sq=xqzv"},
	} {
		checkSpec(t, r, c.q, c.spec)
	}
}

// TestParseCases covers every phrase family of NLS.md section 1 and the reading of section 2.
func TestParseCases(t *testing.T) {
	r := testReader(t)
	for _, c := range []struct{ q, spec string }{
		// max price
		{"below 80 piano", "svc=Piano max=8000"},
		{"piano less than 80 dollars", "svc=Piano max=8000"},
		{"max $80 guitar", "svc=Guitar max=8000"},
		{"up to $80", "max=8000"},
		{"$80 or less", "max=8000"},
		{"no more than $80 drums", "svc=Drums max=8000"},
		{"<$80 cello", "svc=Cello max=8000 norm=<_$_80_cello"},
		{"80 bucks or less", "max=8000"},
		{"cello ≤ $80", "svc=Cello max=8000"},
		{"piano $60/hr", "svc=Piano max=6000"},
		{"piano $60 per hour", "svc=Piano max=6000"},
		{"piano $60 an hour", "svc=Piano max=6000"},
		{"piano $60 an hour for an hour", "svc=Piano max=6000 dur=60"},
		{"under $49.99", "max=4999"},
		{"under $0.5", "max=50"},
		{"$1,000 or less", "max=100000 norm=$_1000_or_less"},
		{"budget of $40", "max=4000"},
		// min price and ranges
		{"over $50 flute", "svc=Flute min=5000"},
		{"above $50", "min=5000"},
		{"at least $50", "min=5000"},
		{"more than 50", "min=5000"},
		{"$50+ voice lessons", "svc=Voice_&_Singing min=5000"},
		{"$50-$80 violin", "svc=Violin min=5000 max=8000"},
		{"$50 to $80", "min=5000 max=8000"},
		{"$80-$50", "min=5000 max=8000"},
		{"between 50 and 80 dollars", "min=5000 max=8000"},
		{"between 50 and 80", "min=5000 max=8000"},
		{"from $50 to $80", "min=5000 max=8000"},
		{"50-80 bucks", "min=5000 max=8000"},
		// cheap
		{"cheap guitar", "svc=Guitar cheap"},
		{"affordable spanish tutor", "svc=Spanish cheap"},
		{"budget yoga", "svc=Yoga cheap"},
		{"inexpensive chess", "svc=Chess cheap"},
		{"low-cost cooking", "svc=Cooking cheap"},
		{"cheaper than $30", "max=3000"},
		// dates
		{"today piano", "svc=Piano on=2026-11-18"},
		{"tonight piano", "svc=Piano on=2026-11-18 after=17:00"},
		{"tomorrow morning piano", "svc=Piano on=2026-11-19 after=06:00 before=12:00"},
		{"tomorrow night", "on=2026-11-19 after=17:00"},
		{"day after tomorrow", "on=2026-11-20"},
		{"the day after tomorrow guitar", "svc=Guitar on=2026-11-20"},
		{"monday", "on=2026-11-23"},
		{"on tue", "on=2026-11-24"},
		{"on wed", "on=2026-11-18"},
		{"Wednesday guitar", "svc=Guitar on=2026-11-18"},
		{"thurs", "on=2026-11-19"},
		{"this friday", "on=2026-11-20"},
		{"next friday", "on=2026-11-27"},
		{"every monday", "on=2026-11-23"},
		{"mondays", "on=2026-11-23"},
		{"this weekend", "from=2026-11-21 to=2026-11-22"},
		{"weekend", "from=2026-11-21 to=2026-11-22"},
		{"next weekend", "from=2026-11-28 to=2026-11-29"},
		{"this week", "from=2026-11-18 to=2026-11-22"},
		{"next week", "from=2026-11-23 to=2026-11-29"},
		{"next week tuesday", "on=2026-11-24"},
		{"next week on wednesday", "on=2026-11-25"},
		{"this month", "from=2026-11-18 to=2026-11-30"},
		{"next month", "from=2026-12-01 to=2026-12-31"},
		{"dec 5", "on=2026-12-05"},
		{"Dec. 5", "on=2026-12-05"},
		{"december 5th", "on=2026-12-05"},
		{"5th of december", "on=2026-12-05"},
		{"december the 5th", "on=2026-12-05"},
		{"dec 5, 2027", "on=2027-12-05"},
		{"12/5", "on=2026-12-05"},
		{"12/5/2026", "on=2026-12-05"},
		{"12/5/27", "on=2027-12-05"},
		{"2026-12-05", "on=2026-12-05 norm=2026_-_12_-_05"},
		{"2026/12/05", "on=2026-12-05"},
		{"nov 18", "on=2026-11-18"},
		{"nov 17", "on=2027-11-17"},
		{"jan 3 piano", "svc=Piano on=2027-01-03"},
		{"dec 31", "on=2026-12-31"},
		{"dec 5-8", "from=2026-12-05 to=2026-12-08"},
		{"dec 30 to jan 2", "from=2026-12-30 to=2027-01-02"},
		{"from dec 5 to dec 8", "from=2026-12-05 to=2026-12-08"},
		{"between dec 5 and dec 8", "from=2026-12-05 to=2026-12-08"},
		{"monday to friday", "from=2026-11-23 to=2026-11-27"},
		{"feb 30", "kind=all"},
		{"in december", "from=2026-12-01 to=2026-12-31"},
		{"november", "from=2026-11-18 to=2026-11-30"},
		{"march piano", "svc=Piano from=2027-03-01 to=2027-03-31"},
		{"may", "kind=all"},
		{"feb 29", "on=2028-02-29"},
		{"sat morning piano", "svc=Piano on=2026-11-21 after=06:00 before=12:00"},
		{"piano on sat", "svc=Piano on=2026-11-21"},
		{"fri or sat", "from=2026-11-20 to=2026-11-21"},
		{"sat", "svc=SAT_Prep"},
		{"sat math", "svc=SAT_Prep sq=sat_math"},
		{"act or sat", "svc=ACT_Prep|SAT_Prep"},
		{"this morning", "on=2026-11-18 after=06:00 before=12:00"},
		{"this evening guitar", "svc=Guitar on=2026-11-18 after=17:00 before=22:00"},
		{"tomorow piano", "svc=Piano on=2026-11-19"},
		{"tmrw guitar", "svc=Guitar on=2026-11-19"},
		// times of day
		{"morning", "after=06:00 before=12:00"},
		{"afternoon yoga", "svc=Yoga after=12:00 before=17:00"},
		{"evening", "after=17:00 before=22:00"},
		{"piano at night", "svc=Piano after=17:00"},
		{"after 5pm", "after=17:00"},
		{"after 17:00", "after=17:00"},
		{"after 5", "after=17:00"},
		{"before noon", "before=12:00"},
		{"before 10am", "before=10:00"},
		{"by 6", "before=18:00"},
		{"until 8 pm", "before=20:00"},
		{"before midnight", "before=24:00"},
		{"between 3 and 5pm piano", "svc=Piano after=15:00 before=17:00"},
		{"between 3 and 5", "after=15:00 before=17:00"},
		{"between 11 and 1pm", "after=11:00 before=13:00"},
		{"between 9am and noon", "after=09:00 before=12:00"},
		{"from 3 to 5pm", "after=15:00 before=17:00"},
		{"3-5pm", "after=15:00 before=17:00"},
		{"3pm-5pm", "after=15:00 before=17:00"},
		{"10am to 2", "after=10:00 before=14:00"},
		{"at 4pm", "after=16:00 exact"},
		{"at 4", "after=16:00 exact"},
		{"piano at 5:30pm", "svc=Piano after=17:30 exact"},
		{"piano 5 p.m.", "svc=Piano after=17:00 exact"},
		{"piano 4pm", "svc=Piano after=16:00 exact"},
		{"after school", "after=15:00"},
		// durations
		{"30 minute", "dur=30"},
		{"30-min", "dur=30"},
		{"45 mins", "dur=45"},
		{"1 hour", "dur=60"},
		{"an hour", "dur=60"},
		{"90 minutes", "dur=90"},
		{"hour-long", "dur=60"},
		{"1.5 hours", "dur=90"},
		{"1 hour 30 minutes", "dur=90"},
		{"90min", "dur=90"},
		{"2h", "dur=120"},
		{"1h30", "dur=90"},
		{"half an hour", "dur=30"},
		{"1/2 hour", "dur=30"},
		{"1 1/2 hours", "dur=90"},
		{"an hour and a half", "dur=90"},
		{"two hours", "dur=120"},
		{"45-minute guitar", "svc=Guitar dur=45"},
		{"under 30 minutes", "dur=30"},
		// where
		{"online guitar", "svc=Guitar lt=online"},
		{"virtual", "lt=online"},
		{"remote", "lt=online"},
		{"zoom chess", "svc=Chess lt=online"},
		{"in person tennis", "svc=Tennis lt=in_person"},
		{"in-person", "lt=in_person"},
		{"at my home", "lt=in_person"},
		{"come to me", "lt=in_person"},
		{"piano in brooklyn", "svc=Piano loc=brooklyn"},
		{"near manhattan guitar", "svc=Guitar loc=manhattan"},
		{"in the upper west side", "loc=upper_west_side"},
		{"upper west side piano", "svc=Piano"},
		{"in the bronx", "loc=the_bronx"},
		{"in paris", "kind=pending sq=paris"},
		{"online marketing", "svc=Digital_Marketing_&_SEO"},
		{"digital marketing online", "svc=Digital_Marketing_&_SEO lt=online"},
		// levels
		{"beginner guitar", "svc=Guitar lvl=beginner"},
		{"beginners piano", "svc=Piano lvl=beginner"},
		{"intermediate", "lvl=intermediate"},
		{"advanced spanish", "svc=Spanish lvl=advanced"},
		{"kids swimming", "svc=Swimming lvl=kids"},
		{"children", "lvl=kids"},
		{"hip hop dance for teens", "svc=Hip_Hop_Dance lvl=teen"},
		{"adult ballet", "svc=Ballet lvl=adult"},
		{"childrens book illustration", "svc=Illustration"},
		{"begginer guitar", "svc=Guitar lvl=beginner"},
		{"kids under 10", "lvl=kids"},
		// service reading
		{"spansh", "svc=Spanish typo"},
		{"guitr lessons", "svc=Guitar typo sq=guitr"},
		{"calculas tutor", "svc=Calculus typo"},
		{"musc", "cat=music typo"},
		{"bjj", "svc=Brazilian_Jiu-Jitsu"},
		{"brazilian jiu-jitsu", "svc=Brazilian_Jiu-Jitsu"},
		{"jiujitsu", "svc=Brazilian_Jiu-Jitsu"},
		{"castellano", "svc=Spanish"},
		{"español", "svc=Spanish norm=espanol"},
		{"ESPAÑOL tutor", "svc=Spanish"},
		{"music theory", "svc=Music_Theory"},
		{"math tutor", "svc=Math"},
		{"math tutoring", "svc=Math"},
		{"tutor", "cat=tutoring-test-prep"},
		{"find me a tutor", "cat=tutoring-test-prep"},
		{"tutor xqzv", "kind=pending sq=xqzv"},
		{"i need a teacher", "kind=all"},
		{"lessons", "kind=all"},
		{"lesons", "kind=all"},
		{"go lessons", "svc=Go_(Golang)"},
		{"c++", "svc=C++"},
		{"c#", "svc=C#"},
		{"node.js", "svc=Node.js"},
		{"ux/ui design", "svc=UX/UI_Design"},
		{"a&p", "svc=Anatomy_&_Physiology"},
		{"guitars", "svc=Guitar"},
		{"spanish guitar", "svc=Classical_Guitar"},
		{"learn spanish guitar", "svc=Classical_Guitar"},
		{"spanish, guitar", "svc=Spanish|Guitar"},
		{"spanish tomorrow guitar", "svc=Spanish|Guitar on=2026-11-19"},
		{"piano and guitar and violin", "svc=Piano|Guitar|Violin"},
		{"piano, guitar, piano", "svc=Piano|Guitar"},
		{"yoga or pilates or barre", "svc=Yoga|Pilates|Barre"},
		{"music or art", "cat=music|arts-crafts"},
		{"piano music", "svc=Piano"},
		{"life coach", "svc=Life_Coaching"},
		{"driving", "svc=Driving_Lessons"},
		{"xqzv piano", "svc=Piano sq=piano"},
		{"fitness this weekend under $40", "cat=sports-fitness from=2026-11-21 to=2026-11-22 max=4000"},
		{"martial arts", "cat=sports-fitness"},
		{"mixed martial arts", "svc=Mixed_Martial_Arts_(MMA)"},
		{"jazz piano", "svc=Piano"},
		{"piano accordion", "svc=Accordion"},
		{"english horn", "svc=Oboe"},
		{"algebra 2", "svc=Algebra"},
		{"usmle step 1 tomorrow", "svc=USMLE_Prep on=2026-11-19"},
		// robustness
		{"  PIANO   under   $80  ", "svc=Piano max=8000 norm=piano_under_$_80"},
		{"piano 🎹 lessons 😀", "svc=Piano norm=piano_lessons"},
		{"piano'; drop table users;--", "svc=Piano norm=piano_drop_table_users_-_-"},
		{"Привет piano", "svc=Piano"},
		{"日本語", "kind=pending sq=日本語"},
		{"😀😀😀", "kind=all norm="},
		{"", "kind=all norm="},
		{"$$$", "kind=all"},
		{"12", "kind=all"},
		{"the", "kind=all"},
		// constraints only, and conflicting ones
		{"tomorrow after 6pm under $60 online 1 hour", "on=2026-11-19 after=18:00 max=6000 lt=online dur=60"},
		{"under $50 over $80", "min=8000"},
		{"under $80 under $50", "max=5000"},
		{"morning after 5pm", "after=17:00"},
		{"at 10am morning", "after=10:00 before=12:00 exact"},
		{"tonight before 9pm", "on=2026-11-18 after=17:00 before=21:00"},
		{"tomorrow or friday", "from=2026-11-19 to=2026-11-20"},
		{"online in person", "lt=in_person"},
		{"30 min 1 hour", "dur=60"},
		{"beginner advanced", "lvl=advanced"},
	} {
		checkSpec(t, r, c.q, c.spec)
	}
}

// TestDatesAcrossBoundaries reads relative dates at month and year ends, in the caller's zone.
func TestDatesAcrossBoundaries(t *testing.T) {
	r := testReader(t)
	for _, c := range []struct {
		now      time.Time
		q        string
		from, to string
	}{
		{time.Date(2026, 12, 31, 23, 30, 0, 0, newYork), "tomorrow", "2027-01-01", "2027-01-01"},
		{time.Date(2026, 12, 31, 9, 0, 0, 0, newYork), "day after tomorrow", "2027-01-02", "2027-01-02"},
		{time.Date(2026, 12, 31, 9, 0, 0, 0, newYork), "next week", "2027-01-04", "2027-01-10"},
		{time.Date(2026, 12, 31, 9, 0, 0, 0, newYork), "next month", "2027-01-01", "2027-01-31"},
		{time.Date(2026, 12, 31, 9, 0, 0, 0, newYork), "jan 2", "2027-01-02", "2027-01-02"},
		{time.Date(2026, 12, 31, 9, 0, 0, 0, newYork), "dec 31", "2026-12-31", "2026-12-31"},
		{time.Date(2026, 1, 31, 9, 0, 0, 0, newYork), "tomorrow", "2026-02-01", "2026-02-01"},
		{time.Date(2028, 2, 28, 9, 0, 0, 0, newYork), "tomorrow", "2028-02-29", "2028-02-29"},
		{time.Date(2026, 11, 22, 9, 0, 0, 0, newYork), "this weekend", "2026-11-22", "2026-11-22"}, // a Sunday
		{time.Date(2026, 11, 21, 9, 0, 0, 0, newYork), "this weekend", "2026-11-21", "2026-11-22"}, // a Saturday
		{time.Date(2026, 11, 22, 9, 0, 0, 0, newYork), "sunday", "2026-11-22", "2026-11-22"},
		{time.Date(2026, 11, 22, 9, 0, 0, 0, newYork), "this week", "2026-11-22", "2026-11-22"},
		// 22:00 in New York is already the 19th in UTC: "today" is the caller's day
		{time.Date(2026, 11, 19, 3, 0, 0, 0, time.UTC), "today", "2026-11-18", "2026-11-18"},
	} {
		p := r.Parse(c.q, c.now, newYork)
		if p.DateFrom == nil || p.DateTo == nil || p.DateFrom.String() != c.from || p.DateTo.String() != c.to {
			t.Errorf("Parse(%q) at %s: %s, want %s..%s", c.q, c.now, describe(p), c.from, c.to)
		}
	}
	// the same instant read in UTC is the next day
	p := r.Parse("today", time.Date(2026, 11, 19, 3, 0, 0, 0, time.UTC), time.UTC)
	if p.DateFrom == nil || p.DateFrom.String() != "2026-11-19" {
		t.Errorf("today in UTC: %s", describe(p))
	}
	// a nil zone reads as UTC rather than failing
	p = r.Parse("today", time.Date(2026, 11, 19, 3, 0, 0, 0, time.UTC), nil)
	if p.DateFrom == nil || p.DateFrom.String() != "2026-11-19" {
		t.Errorf("today with nil zone: %s", describe(p))
	}
}

// TestEmptyAndNilReader: a reader without a catalog still reads constraints, and names nothing.
func TestEmptyAndNilReader(t *testing.T) {
	for _, r := range []*Reader{NewReader(Vocabulary{}), nil} {
		p := r.Parse("piano under $80 tomorrow", refNow, newYork)
		if p.MatchKind != MatchPending || p.ServiceQuery != "piano" || p.MaxPriceCents == nil || *p.MaxPriceCents != 8000 || p.DateFrom == nil {
			t.Errorf("reader %p: %s", r, describe(p))
		}
	}
}

// TestDuplicateTermsAndPriority: a term shared by two services names both; a service's own name
// beats another service's term; a service phrase beats a category alias.
func TestDuplicateTermsAndPriority(t *testing.T) {
	r := NewReader(Vocabulary{
		Services: []ServiceTerm{
			{ID: "a", Slug: "alpha", Name: "Alpha", CategorySlug: "c1", Terms: []string{"shared", "beta"}},
			{ID: "b", Slug: "beta", Name: "Beta", CategorySlug: "c1", Terms: []string{"shared"}},
			{ID: "g", Slug: "gamma", Name: "Gamma", CategorySlug: "c1", Terms: []string{"stuff"}},
		},
		Categories: []CategoryTerm{{ID: "c1", Slug: "c1", Name: "Things", Aliases: []string{"stuff", "things"}}},
	})
	for _, c := range []struct {
		q    string
		kind MatchKind
		ids  []string
	}{
		{"shared", MatchService, []string{"a", "b"}},
		{"beta", MatchService, []string{"b"}},
		{"stuff", MatchService, []string{"g"}},
		{"things", MatchCategory, nil},
	} {
		p := r.Parse(c.q, refNow, newYork)
		if p.MatchKind != c.kind || len(p.ServiceIDs) != len(c.ids) {
			t.Errorf("%q: %s", c.q, describe(p))
			continue
		}
		for i := range c.ids {
			if p.ServiceIDs[i] != c.ids[i] {
				t.Errorf("%q: %s", c.q, describe(p))
			}
		}
	}
}
