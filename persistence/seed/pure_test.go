package seed

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/instainstru/instainstru"
)

// The catalog file is the platform's data: every slug unique, every service in a category of
// the file, durations on the platform's grid.
func TestLoadCatalogFile(t *testing.T) {
	f, err := LoadCatalogFile()
	require.NoError(t, err)
	require.NotEmpty(t, f.Categories)
	require.NotEmpty(t, f.Services)
	cats := map[string]bool{}
	for _, c := range f.Categories {
		assert.False(t, cats[c.Slug], "duplicate category %s", c.Slug)
		cats[c.Slug] = true
		assert.NotEmpty(t, c.Name, c.Slug)
	}
	services := map[string]bool{}
	for _, s := range f.Services {
		assert.False(t, services[s.Slug], "duplicate service %s", s.Slug)
		services[s.Slug] = true
		assert.True(t, cats[s.Category], "%s: unknown category %q", s.Slug, s.Category)
		assert.NotEmpty(t, s.TypicalDurations, s.Slug)
	}
}

// demoCatalogRows stands for the catalog as stored, with made-up ids, in reverse file order: the
// generator must not depend on the order the database returns rows in.
func demoCatalogRows(t *testing.T) []CatalogServiceRow {
	t.Helper()
	f, err := LoadCatalogFile()
	require.NoError(t, err)
	names := map[string]string{}
	for _, c := range f.Categories {
		names[c.Slug] = c.Name
	}
	var rows []CatalogServiceRow
	for i := len(f.Services) - 1; i >= 0; i-- {
		s := f.Services[i]
		rows = append(rows, CatalogServiceRow{ID: fmt.Sprintf("svc-%d", i), Slug: s.Slug, Name: s.Name,
			CategorySlug: s.Category, CategoryName: names[s.Category], Durations: s.TypicalDurations, Online: s.OnlineCapable})
	}
	return rows
}

// The generator is a function of its inputs: the same catalog and clock give the same rows,
// whatever order the catalog rows come in.
func TestDemoGeneratorIsDeterministic(t *testing.T) {
	now := time.Date(2026, 2, 27, 20, 4, 5, 0, time.UTC)
	rows := demoCatalogRows(t)
	generate := func(rows []CatalogServiceRow) ([]UserRow, []ProfileRow, []OfferRow) {
		cat, err := demoNewCatalog(rows)
		require.NoError(t, err)
		cast := demoBuildCast(cat)
		owned := map[string]bool{}
		for _, p := range cast.people() {
			owned[p.id] = true
		}
		profiles, offers := demoProfileRows(cast, owned, now)
		return demoUserRows(cast, "hash", now), profiles, offers
	}
	u1, p1, o1 := generate(rows)
	reversed := make([]CatalogServiceRow, len(rows))
	for i, r := range rows {
		reversed[len(rows)-1-i] = r
	}
	u2, p2, o2 := generate(reversed)
	assert.Equal(t, u1, u2)
	assert.Equal(t, p1, p2)
	assert.Equal(t, o1, o2)
	assert.Len(t, u1, 1+1+demoInstructorCount+1+demoStudentCount)
	assert.Len(t, p1, 1+demoInstructorCount)
	assert.Equal(t, DemoAdminEmail, u1[0].Email)
	assert.Equal(t, demoID("demo-admin"), u1[0].ID)
}

func TestDemoWithoutCatalogFails(t *testing.T) {
	_, err := demoNewCatalog(nil)
	require.ErrorContains(t, err, "catalog is empty")
}

// A top-up fills the undecided dates of the window only: a date with availability keeps it, a
// blackout date stays empty, and a second top-up finds nothing to add.
func TestDemoTopUp(t *testing.T) {
	cat, err := demoNewCatalog(demoCatalogRows(t))
	require.NoError(t, err)
	cast := demoBuildCast(cat)
	fixed := cast.instructors[0]
	require.True(t, fixed.fixed)
	ny, err := time.LoadLocation(instainstru.DefaultTimezone)
	require.NoError(t, err)
	now := time.Date(2026, 2, 27, 15, 4, 5, 0, ny)
	settings := demoSettingsOf([]SettingsRow{
		{InstructorID: fixed.id, Timezone: instainstru.DefaultTimezone, Status: instainstru.StatusActive, BufferMinutes: 15, MinAdvanceHours: 2},
		{InstructorID: cast.instructors[1].id, Timezone: "Not/AZone", Status: instainstru.StatusActive},
	}, now)
	require.Len(t, settings, 1, "an unusable zone leaves the instructor out")
	today := instainstru.DateOf(now)
	kept := instainstru.TimeRange{Start: 8 * 60, End: 9 * 60}
	avail := demoAvailOf(
		[]AvailabilityRow{{InstructorID: fixed.id, Date: today, Range: kept}},
		[]BlackoutRow{{InstructorID: fixed.id, Date: today.AddDays(1)}})

	rows := demoTopUp(cast, settings, avail)
	require.NotEmpty(t, rows)
	dates := map[instainstru.Date]bool{}
	for _, r := range rows {
		assert.Equal(t, fixed.id, r.InstructorID)
		assert.False(t, r.Date.Before(today.AddDays(2)), "decided date %s topped up", r.Date)
		assert.True(t, r.Date.Before(today.AddDays(demoWindowDays)), "date %s beyond the window", r.Date)
		dates[r.Date] = true
	}
	// The documented instructor teaches every day of the week.
	assert.Len(t, dates, demoWindowDays-2)
	assert.Equal(t, []instainstru.TimeRange{kept}, avail[fixed.id][today])
	assert.Empty(t, avail[fixed.id][today.AddDays(1)])
	assert.Empty(t, demoTopUp(cast, settings, avail))
}
