// Canonical, bounded cache keys for the public listings (see "Keys are canonical and bounded" in
// README.md). A listing's query string is attacker-controlled: caching one entry per distinct
// query lets anyone fill Redis (which must not evict the version and epoch counters) with
// distinct spellings. So the listings cache only what a small, fixed set of keys can hold and
// compute the rest in memory:
//
//	GET /catalog/services       one entry with the whole active catalog ("services-all"), and one
//	                            entry per catalog term (a service's name, slug or search term, in
//	                            canonical form) with every service that text matches, ranked.
//	                            Category, limit and cursor are applied in memory. Text that is not
//	                            a catalog term is passed to the store uncached.
//	GET /catalog/services/{ref} resolved to the service id through "services-all"; unknown refs
//	                            answer not_found without a key or a query; one entry per service.
//	top-per-category, popular   loaded at the largest limit and cut in memory; popular is cached
//	                            for the days of popularDaysGrid only.
//	GET /instructors            one compact index per filter (no filter, a category, or a service
//	                            resolved to its id) of instructor ids with the rates of their
//	                            matching offers; price bounds, cursor and limit are applied in
//	                            memory, and the profiles come from the per-instructor entries
//	                            (profile:<id>) that GET /instructors/{id} uses.
//
// Text is compared in canonical form (canonicalText): NFKC, Unicode case folding, trimmed, inner
// white space collapsed to one space; the store is asked the canonical query, so an answer never
// depends on which spelling loaded the entry.

package cache

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/instainstru/instainstru"
)

// canonicalText is the form free text is compared and keyed in.
func canonicalText(s string) string {
	s = cases.Fold().String(norm.NFKC.String(s))
	return strings.Join(strings.Fields(s), " ")
}

// allServices is the limit that loads the whole active catalog in one page (282 services today).
const allServices = 100_000

// maxListLimit is the largest page the API asks for (API.md: limits are clamped to 100).
const maxListLimit = 100

// popularDaysGrid are the ?days= of GET /catalog/popular that are cached; others are read
// through. 30 is the default; the others are the usual week, quarter and year.
var popularDaysGrid = []int{7, 30, 90, 365}

// catalogIndex is what the key canonicalization needs to know about the active catalog: the
// catalog terms, and every service by id and by slug. It is derived from the "services-all" entry
// and memoized for as long as the near cache hands out the same decoded entry.
type catalogIndex struct {
	all        instainstru.ServicePage
	terms      map[string]bool
	byRef      map[string]*instainstru.CatalogService // lower-case id or slug
	categories map[string]bool                        // slugs of categories with active services
}

func newCatalogIndex(all instainstru.ServicePage) *catalogIndex {
	ix := &catalogIndex{all: all, terms: map[string]bool{},
		byRef: map[string]*instainstru.CatalogService{}, categories: map[string]bool{}}
	for i := range all.Services {
		sv := &all.Services[i]
		ix.byRef[strings.ToLower(sv.ID)] = sv
		ix.byRef[strings.ToLower(sv.Slug)] = sv
		ix.categories[sv.Category.Slug] = true
		for _, t := range append([]string{sv.Name, sv.Slug}, sv.SearchTerms...) {
			if t = canonicalText(t); t != "" {
				ix.terms[t] = true
			}
		}
	}
	return ix
}

// catalogIndexMemo keeps the last index built. It is reused only for the very same decoded
// entry (the near cache shares one decoded value until the namespace is invalidated), never by
// version number, which a Redis restart could make repeat.
type catalogIndexMemo struct {
	last atomic.Pointer[catalogIndex]
}

// sameEntry reports whether two pages share one decoded entry.
func sameEntry(a, b instainstru.ServicePage) bool {
	return len(a.Services) > 0 && len(a.Services) == len(b.Services) && &a.Services[0] == &b.Services[0]
}

// index returns the catalog index of the current catalog generation.
func (d *Catalog) index(ctx context.Context) (*catalogIndex, error) {
	all, _, err := GetOrLoadInNear(ctx, d.cache, nsCatalog, cacheKey("services-all"), d.cache.TTL(TierCatalog),
		func(ctx context.Context) (instainstru.ServicePage, error) {
			return d.next.CatalogServices(ctx, instainstru.ServiceQuery{Limit: allServices})
		})
	if err != nil {
		return nil, err
	}
	if ix := d.memo.last.Load(); ix != nil && sameEntry(ix.all, all) {
		return ix, nil
	}
	ix := newCatalogIndex(all)
	d.memo.last.Store(ix)
	return ix, nil
}

// pageServices pages a ranked result list (ordered by rank, display order, id, as the store
// orders it) the way the store's keyset pagination would: category filter, cursor, limit.
func pageServices(list instainstru.ServicePage, category string, limit int, after *instainstru.ServiceCursor) instainstru.ServicePage {
	limit = max(limit, 1)
	out := instainstru.ServicePage{Services: []instainstru.CatalogService{}, Ranks: []int{}}
	var afterID string
	if after != nil {
		afterID = strings.ToLower(after.ID)
	}
	for i, sv := range list.Services {
		if category != "" && sv.Category.Slug != category {
			continue
		}
		rank := 0
		if i < len(list.Ranks) {
			rank = list.Ranks[i]
		}
		if after != nil && !keysetAfter(rank, sv.DisplayOrder, strings.ToLower(sv.ID), after.Rank, after.Order, afterID) {
			continue
		}
		if len(out.Services) == limit {
			last := out.Services[limit-1]
			out.Next = &instainstru.ServiceCursor{Rank: out.Ranks[limit-1], Order: last.DisplayOrder, ID: last.ID}
			break
		}
		out.Services = append(out.Services, sv)
		out.Ranks = append(out.Ranks, rank)
	}
	return out
}

// keysetAfter is (rank, order, id) > (r, o, i) as the store compares it; UUIDs order as their
// lower-case hexadecimal text.
func keysetAfter(rank, order int, id string, r, o int, i string) bool {
	if rank != r {
		return rank > r
	}
	if order != o {
		return order > o
	}
	return id > i
}

// instructorFilter is the canonical form of a listing's service and category filters: the key of
// its index entry. empty is true when the filters can match nothing (unknown service or
// category, or a service outside the category), which needs neither a key nor a query.
type instructorFilter struct {
	serviceID, category string
	empty               bool
}

func (f instructorFilter) key() string {
	switch {
	case f.serviceID != "":
		return "s:" + f.serviceID
	case f.category != "":
		return "c:" + f.category
	}
	return "all"
}

// resolveFilter canonicalizes the service (id or slug, any case) to the catalog id and the
// category to its slug, with the same meaning as the store's query.
func resolveFilter(ix *catalogIndex, service, category string) instructorFilter {
	service, category = strings.ToLower(strings.TrimSpace(service)), canonicalText(category)
	var f instructorFilter
	if category != "" {
		if !ix.categories[category] {
			return instructorFilter{empty: true}
		}
		f.category = category
	}
	if service != "" {
		sv := ix.byRef[service]
		if sv == nil || (category != "" && sv.Category.Slug != category) {
			return instructorFilter{empty: true}
		}
		f.serviceID, f.category = strings.ToLower(sv.ID), "" // the service implies its category
	}
	return f
}

// pageInstructors applies price bounds, cursor and limit to an index: the ids of the page and the
// cursor of the next one.
func pageInstructors(index []instainstru.InstructorRates, q instainstru.InstructorQuery) (ids []string, next string) {
	limit := max(q.Limit, 1)
	after := strings.ToLower(q.AfterID)
	for _, r := range index {
		id := strings.ToLower(r.InstructorID)
		if after != "" && id <= after {
			continue
		}
		if !slices.ContainsFunc(r.RatesCents, func(rate int) bool {
			return (q.MinPriceCents == nil || rate >= *q.MinPriceCents) && (q.MaxPriceCents == nil || rate <= *q.MaxPriceCents)
		}) {
			continue
		}
		if len(ids) == limit {
			return ids, ids[limit-1]
		}
		ids = append(ids, r.InstructorID)
	}
	return ids, ""
}

// InstructorRatesReader is the store method the listing cache builds its indexes with
// (*persistence.Store implements it). A store without it has its listings read through uncached.
type InstructorRatesReader interface {
	PublicInstructorRates(ctx context.Context, serviceID, categorySlug string) ([]instainstru.InstructorRates, error)
}

// profileFetchers bounds the profile lookups of one listing page run at once.
const profileFetchers = 8

// listingProfiles reads the public profiles of a page's instructors through the per-instructor
// cache entries, in order, as the store's listing shows them. An instructor who stopped being
// public since the index was built is left out (the write that hid them has bumped the index).
func (d *Instructors) listingProfiles(ctx context.Context, ids []string) ([]instainstru.InstructorProfile, error) {
	profiles := make([]*instainstru.InstructorProfile, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, profileFetchers)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			profiles[i], errs[i] = d.PublicInstructor(ctx, id)
		}()
	}
	wg.Wait()
	out := make([]instainstru.InstructorProfile, 0, len(ids))
	for i, p := range profiles {
		if errs[i] != nil {
			if instainstru.IsCode(errs[i], instainstru.CodeNotFound) {
				continue
			}
			return nil, errs[i]
		}
		// The listing shows the public profile only: no settings, no timestamps.
		item := *p
		item.Email, item.MinAdvanceBookingHours, item.BufferMinutes = "", 0, 0
		item.CreatedAt, item.UpdatedAt = time.Time{}, time.Time{}
		out = append(out, item)
	}
	return out, nil
}
