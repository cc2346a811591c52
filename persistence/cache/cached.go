// Cached store decorators: the read interfaces the API uses, served from the Redis cache (see
// cache.go) and kept fresh by the writes that pass through the same decorators.
//
// Every cached entry lives in a namespace, so one Bump (one INCR) invalidates all of its entries
// and a load that raced the write can never bring stale data back (see the comment at the top of
// cache.go):
//
//	namespace        entries                                          tier          bumped by
//	catalog          Categories, CatalogServices, CatalogServiceDetail, catalog (6h)  any change to which offers are
//	                 TopServicesPerCategory, PopularServices                          active: offer create/delete, an
//	                                                                                  instructor's status change
//	instructors      PublicInstructors indexes (one per filter)       profile (5m)  any change to a public profile
//	profile:<id>     PublicInstructor(id)                             profile (5m)  that instructor's profile, offers,
//	                                                                                  name, zone or status
//	avail:<id>       PublicCalendar(id, from, to), every window       availability  the same, plus every booking,
//	                                                                  (configured)  cancellation and availability write
//	                                                                                (actors.Config.OnChange)
//
// Keys inside a namespace are canonical and bounded: the listings key only canonical filters and
// cut pages in memory (see keys.go); other keys encode their arguments as JSON, so no two argument
// lists share a key. The catalog is one namespace rather than one per service because every
// catalog shape carries active_instructors, which any offer change can move; offer changes are
// rare next to catalog reads, so a whole-catalog reload after one costs little. Offer updates do
// not touch the catalog: a patch cannot change whether an offer is active. Bookings do not touch
// it either: PopularServices' fallback ranking by recent bookings (used only before the first
// analytics run) may lag by up to the catalog TTL, which is what a popularity figure can afford.
// WarmCache starts a new catalog generation itself, since it runs right after the daily analytics.
//
// A write is followed by its bumps when it succeeded or when its outcome is unknown (an internal
// or unavailable error may hide a commit); a domain refusal (conflict, not_found, invalid, ...)
// changed nothing and bumps nothing. Bumps happen after the write returns and before the
// decorator does, hence before the HTTP response is sent.
//
// Public profiles are cached without the instructor's email: no public view shows it, and the
// cache then holds no addresses. Own-profile and account reads are never cached: a user must see
// their own writes at once, and those reads are rare.

package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/instainstru/instainstru"
	"github.com/instainstru/instainstru/persistence"
)

// Namespaces of the cached decorators (the table at the top of this file).
const (
	nsCatalog     = "catalog"
	nsInstructors = "instructors"
)

func profileNamespace(instructorID string) string { return "profile:" + instructorID }
func availNamespace(instructorID string) string   { return "avail:" + instructorID }

// cacheKey encodes a call's arguments into its key inside a namespace. JSON makes the encoding
// unambiguous whatever the strings contain.
func cacheKey(kind string, args ...any) string {
	raw, err := json.Marshal(args)
	if err != nil { // every argument here is a plain value: cannot happen
		panic(fmt.Sprintf("cache key %s: %v", kind, err))
	}
	return kind + string(raw)
}

// changed reports whether a write that returned err may have changed data: it did when it
// succeeded, and may have when the failure is not a domain refusal (the commit may have happened).
func changed(err error) bool {
	if err == nil {
		return true
	}
	switch instainstru.ErrorCode(err) {
	case instainstru.CodeInternal, instainstru.CodeUnavailable:
		return true
	}
	return false
}

// writeThrough runs write and then, if it may have changed data (see changed), invalidates
// everything public about one instructor: their profile, their calendars and the listings, plus
// the catalog when withCatalog (changes that move active_instructors counts). public, when not
// nil, narrows a successful write to results that concern an instructor (a student is in no
// public view); a write whose outcome is unknown always invalidates. It returns write's results.
func writeThrough[T any](ctx context.Context, c *Cache, instructorID string, withCatalog bool,
	public func(T) bool, write func() (T, error)) (T, error) {
	v, err := write()
	if changed(err) && (err != nil || public == nil || public(v)) {
		c.Bump(ctx, profileNamespace(instructorID))
		c.Bump(ctx, availNamespace(instructorID))
		c.Bump(ctx, nsInstructors)
		if withCatalog {
			c.Bump(ctx, nsCatalog)
		}
	}
	return v, err
}

// Catalog is instainstru.CatalogReader served from the cache, in the catalog namespace
// with the catalog TTL. It is read-only: the writes that change catalog figures (offers, account
// status) go through the Offers, Accounts and Users decorators, which bump the namespace.
type Catalog struct {
	cache *Cache
	next  instainstru.CatalogReader
	memo  catalogIndexMemo
}

// NewCatalog wraps next. A nil cache caches nothing.
func NewCatalog(c *Cache, next instainstru.CatalogReader) *Catalog {
	return &Catalog{cache: c, next: next}
}

// Categories implements instainstru.CatalogReader.
func (d *Catalog) Categories(ctx context.Context) ([]instainstru.Category, error) {
	return GetOrLoadIn(ctx, d.cache, nsCatalog, cacheKey("categories"), d.cache.TTL(TierCatalog),
		func(ctx context.Context) ([]instainstru.Category, error) { return d.next.Categories(ctx) })
}

// CatalogServices implements instainstru.CatalogReader. Only the whole catalog and the results of
// catalog terms are cached (see keys.go); the page is cut from them in memory.
func (d *Catalog) CatalogServices(ctx context.Context, q instainstru.ServiceQuery) (instainstru.ServicePage, error) {
	q.Text, q.CategorySlug = canonicalText(q.Text), canonicalText(q.CategorySlug)
	if d.cache == nil || (q.After != nil && !persistence.ValidID(q.After.ID)) {
		return d.next.CatalogServices(ctx, q) // the store refuses a malformed cursor
	}
	ix, err := d.index(ctx)
	if err != nil {
		return instainstru.ServicePage{}, err
	}
	if q.Text == "" {
		return pageServices(ix.all, q.CategorySlug, q.Limit, q.After), nil
	}
	if !ix.terms[q.Text] {
		return d.next.CatalogServices(ctx, q) // not worth a key: read through
	}
	text := q.Text
	list, _, err := GetOrLoadInNear(ctx, d.cache, nsCatalog, cacheKey("services-text", text), d.cache.TTL(TierCatalog),
		func(ctx context.Context) (instainstru.ServicePage, error) {
			return d.next.CatalogServices(ctx, instainstru.ServiceQuery{Text: text, Limit: allServices})
		})
	if err != nil {
		return instainstru.ServicePage{}, err
	}
	return pageServices(list, q.CategorySlug, q.Limit, q.After), nil
}

// serviceDetail is the two results of CatalogServiceDetail as one cache entry.
type serviceDetail struct {
	Service   *instainstru.CatalogService
	Analytics *instainstru.ServiceAnalytics
}

// CatalogServiceDetail implements instainstru.CatalogReader. An unknown service is remembered
// as not_found for the cache's NotFoundTTL.
func (d *Catalog) CatalogServiceDetail(ctx context.Context, idOrSlug string) (*instainstru.CatalogService, *instainstru.ServiceAnalytics, error) {
	if d.cache == nil {
		return d.next.CatalogServiceDetail(ctx, idOrSlug)
	}
	// One key per active service, whatever spelling of its id or slug was asked.
	ix, err := d.index(ctx)
	if err != nil {
		return nil, nil, err
	}
	known := ix.byRef[strings.ToLower(strings.TrimSpace(idOrSlug))]
	if known == nil {
		return nil, nil, &instainstru.Error{Code: instainstru.CodeNotFound, Message: "catalog service not found"}
	}
	idOrSlug = strings.ToLower(known.ID)
	v, err := GetOrLoadIn(ctx, d.cache, nsCatalog, cacheKey("service", idOrSlug), d.cache.TTL(TierCatalog),
		func(ctx context.Context) (serviceDetail, error) {
			s, a, err := d.next.CatalogServiceDetail(ctx, idOrSlug)
			return serviceDetail{Service: s, Analytics: a}, err
		})
	if err != nil {
		return nil, nil, err
	}
	if v.Service == nil {
		return nil, nil, instainstru.Internal(fmt.Errorf("catalog service %q: empty cache entry", idOrSlug))
	}
	return v.Service, v.Analytics, nil
}

// TopServicesPerCategory implements instainstru.CatalogReader: one entry at the largest limit,
// cut in memory (the store's order is total, so the first n of 100 are the top n).
func (d *Catalog) TopServicesPerCategory(ctx context.Context, perCategory int) ([]instainstru.CategoryServices, error) {
	if perCategory < 1 || perCategory > maxListLimit {
		return d.next.TopServicesPerCategory(ctx, perCategory)
	}
	rows, err := GetOrLoadIn(ctx, d.cache, nsCatalog, cacheKey("top", maxListLimit), d.cache.TTL(TierCatalog),
		func(ctx context.Context) ([]instainstru.CategoryServices, error) {
			return d.next.TopServicesPerCategory(ctx, maxListLimit)
		})
	for i := range rows {
		rows[i].Services = rows[i].Services[:min(perCategory, len(rows[i].Services))]
	}
	return rows, err
}

// PopularServices implements instainstru.CatalogReader: one entry per days of popularDaysGrid at
// the largest limit, cut in memory; other days are read through.
func (d *Catalog) PopularServices(ctx context.Context, limit, days int) ([]instainstru.CatalogService, error) {
	if limit < 1 || limit > maxListLimit || !slices.Contains(popularDaysGrid, days) {
		return d.next.PopularServices(ctx, limit, days)
	}
	svcs, err := GetOrLoadIn(ctx, d.cache, nsCatalog, cacheKey("popular", maxListLimit, days), d.cache.TTL(TierCatalog),
		func(ctx context.Context) ([]instainstru.CatalogService, error) {
			return d.next.PopularServices(ctx, maxListLimit, days)
		})
	return svcs[:min(limit, len(svcs))], err
}

// Instructors is instainstru.InstructorStore with the public reads cached (profile TTL):
// the listing in the instructors namespace, one profile in profile:<id>. The own profile is read
// through. UpdateInstructorProfile writes through and then invalidates the instructor's profile,
// availability (buffer and minimum advance are part of the cached calendar) and the listings.
type Instructors struct {
	cache   *Cache
	next    instainstru.InstructorStore
	catalog *Catalog // resolves service and category filters to their canonical form
}

// NewInstructors wraps next; catalog (the cached catalog over the same database) resolves the
// listing's filters. A nil cache caches nothing.
func NewInstructors(c *Cache, next instainstru.InstructorStore, catalog *Catalog) *Instructors {
	return &Instructors{cache: c, next: next, catalog: catalog}
}

// PublicInstructors implements instainstru.InstructorStore. The listing is assembled from a
// compact index per canonical filter and the per-instructor profile entries (see keys.go), so
// prices, limits and cursors add no keys.
func (d *Instructors) PublicInstructors(ctx context.Context, q instainstru.InstructorQuery) (instainstru.InstructorPage, error) {
	rates, ok := d.next.(InstructorRatesReader)
	if d.cache == nil || !ok || d.catalog == nil || (q.AfterID != "" && !persistence.ValidID(q.AfterID)) {
		page, err := d.next.PublicInstructors(ctx, q)
		for i := range page.Instructors {
			page.Instructors[i].Email = ""
		}
		return page, err
	}
	ix, err := d.catalog.index(ctx)
	if err != nil {
		return instainstru.InstructorPage{}, err
	}
	f := resolveFilter(ix, q.Service, q.CategorySlug)
	if f.empty {
		return instainstru.InstructorPage{Instructors: []instainstru.InstructorProfile{}}, nil
	}
	index, _, err := GetOrLoadInNear(ctx, d.cache, nsInstructors, cacheKey("index", f.key()), d.cache.TTL(TierProfile),
		func(ctx context.Context) ([]instainstru.InstructorRates, error) {
			return rates.PublicInstructorRates(ctx, f.serviceID, f.category)
		})
	if err != nil {
		return instainstru.InstructorPage{}, err
	}
	ids, next := pageInstructors(index, q)
	profiles, err := d.listingProfiles(ctx, ids)
	if err != nil {
		return instainstru.InstructorPage{}, err
	}
	return instainstru.InstructorPage{Instructors: profiles, NextAfterID: next}, nil
}

// PublicInstructor implements instainstru.InstructorStore. Not found (including suspended and
// deactivated instructors) is remembered for the cache's NotFoundTTL unless a status change or
// profile write bumps the namespace first.
func (d *Instructors) PublicInstructor(ctx context.Context, id string) (*instainstru.InstructorProfile, error) {
	if !persistence.ValidID(id) {
		return d.next.PublicInstructor(ctx, id)
	}
	return GetOrLoadIn(ctx, d.cache, profileNamespace(id), cacheKey("public"), d.cache.TTL(TierProfile),
		func(ctx context.Context) (*instainstru.InstructorProfile, error) {
			p, err := d.next.PublicInstructor(ctx, id)
			if p != nil {
				p.Email = ""
			}
			return p, err
		})
}

// OwnInstructorProfile implements instainstru.InstructorStore; it is never cached.
func (d *Instructors) OwnInstructorProfile(ctx context.Context, id string) (*instainstru.InstructorProfile, error) {
	return d.next.OwnInstructorProfile(ctx, id)
}

// UpdateInstructorProfile implements instainstru.InstructorStore: write, then invalidate.
func (d *Instructors) UpdateInstructorProfile(ctx context.Context, id string, p instainstru.ProfileUpdate) (*instainstru.InstructorProfile, error) {
	return writeThrough(ctx, d.cache, id, false, nil, func() (*instainstru.InstructorProfile, error) {
		return d.next.UpdateInstructorProfile(ctx, id, p)
	})
}

// Offers is instainstru.OfferStore writing through and then invalidating the instructor's
// profile, availability (the shortest duration is part of the cached calendar) and listings;
// creating or deleting an offer also invalidates the catalog (active_instructors counts).
type Offers struct {
	cache *Cache
	next  instainstru.OfferStore
}

// NewOffers wraps next. A nil cache invalidates nothing.
func NewOffers(c *Cache, next instainstru.OfferStore) *Offers {
	return &Offers{cache: c, next: next}
}

// CreateOffer implements instainstru.OfferStore.
func (d *Offers) CreateOffer(ctx context.Context, instructorID string, in instainstru.OfferInput) (*instainstru.InstructorService, error) {
	return writeThrough(ctx, d.cache, instructorID, true, nil, func() (*instainstru.InstructorService, error) {
		return d.next.CreateOffer(ctx, instructorID, in)
	})
}

// UpdateOffer implements instainstru.OfferStore.
func (d *Offers) UpdateOffer(ctx context.Context, instructorID, offerID string, p instainstru.OfferPatch) (*instainstru.InstructorService, error) {
	return writeThrough(ctx, d.cache, instructorID, false, nil, func() (*instainstru.InstructorService, error) {
		return d.next.UpdateOffer(ctx, instructorID, offerID, p)
	})
}

// DeleteOffer implements instainstru.OfferStore.
func (d *Offers) DeleteOffer(ctx context.Context, instructorID, offerID string) (instainstru.OfferDeletion, error) {
	return writeThrough(ctx, d.cache, instructorID, true, nil, func() (instainstru.OfferDeletion, error) {
		return d.next.DeleteOffer(ctx, instructorID, offerID)
	})
}

// PublicAvailability is instainstru.PublicAvailabilityReader served from the cache: one
// entry per (instructor, window) in the namespace avail:<id>, with the availability TTL
// (PUBLIC_AVAILABILITY_CACHE_TTL). The calendar holds no "now", so an entry stays right until a
// write bumps the namespace: bookings, cancellations and availability changes through the
// instructor actors (wire actors.Config.OnChange to Stores.AvailabilityChanged), and
// profile, offer, name, zone and status changes through the other decorators.
type PublicAvailability struct {
	cache *Cache
	next  instainstru.PublicAvailabilityReader
}

// NewPublicAvailability wraps next. A nil cache caches nothing.
func NewPublicAvailability(c *Cache, next instainstru.PublicAvailabilityReader) *PublicAvailability {
	return &PublicAvailability{cache: c, next: next}
}

// PublicCalendar implements instainstru.PublicAvailabilityReader. Malformed ids go to the store
// uncached (it answers not_found), so no namespace is ever made of arbitrary text. The calendar's
// Version is the version of avail:<id> it was read under (see GetOrLoadInNear), 0 when unknown.
func (d *PublicAvailability) PublicCalendar(ctx context.Context, instructorID string, from, to instainstru.Date) (*instainstru.PublicCalendar, error) {
	if !persistence.ValidID(instructorID) {
		return d.next.PublicCalendar(ctx, instructorID, from, to)
	}
	// The hottest read: served from the near cache when one is configured (values shared, read-only).
	cal, version, err := GetOrLoadInNear(ctx, d.cache, availNamespace(instructorID), cacheKey("cal", from.String(), to.String()),
		d.cache.TTL(TierAvailability),
		func(ctx context.Context) (*instainstru.PublicCalendar, error) {
			return d.next.PublicCalendar(ctx, instructorID, from, to)
		})
	if err != nil || cal == nil || version == 0 {
		return cal, err
	}
	// The value may be shared with other callers: stamp the version on a shallow copy (the
	// slices stay shared and read-only).
	stamped := *cal
	stamped.Version = version
	return &stamped, nil
}

// Accounts is instainstru.AccountStore writing through; a transition of an instructor
// (suspend, deactivate, reactivate) then invalidates everything public about them and the
// catalog, whose active_instructors counts only active accounts. Students are in no public view.
type Accounts struct {
	cache *Cache
	next  instainstru.AccountStore
}

// NewAccounts wraps next. A nil cache invalidates nothing.
func NewAccounts(c *Cache, next instainstru.AccountStore) *Accounts {
	return &Accounts{cache: c, next: next}
}

// AccountStanding implements instainstru.AccountStore; it is never cached.
func (d *Accounts) AccountStanding(ctx context.Context, userID string) (instainstru.AccountStanding, error) {
	return d.next.AccountStanding(ctx, userID)
}

// SuspendAccount implements instainstru.AccountStore.
func (d *Accounts) SuspendAccount(ctx context.Context, userID string) (instainstru.AccountStanding, error) {
	return d.transition(ctx, userID, d.next.SuspendAccount)
}

// DeactivateAccount implements instainstru.AccountStore.
func (d *Accounts) DeactivateAccount(ctx context.Context, userID string) (instainstru.AccountStanding, error) {
	return d.transition(ctx, userID, d.next.DeactivateAccount)
}

// ReactivateAccount implements instainstru.AccountStore.
func (d *Accounts) ReactivateAccount(ctx context.Context, userID string) (instainstru.AccountStanding, error) {
	return d.transition(ctx, userID, d.next.ReactivateAccount)
}

// transition runs one lifecycle transition and invalidates after it when the user is an
// instructor. When the role is unknown (the transition failed in a way that may hide a commit)
// the user is treated as an instructor.
func (d *Accounts) transition(ctx context.Context, userID string,
	do func(context.Context, string) (instainstru.AccountStanding, error)) (instainstru.AccountStanding, error) {
	return writeThrough(ctx, d.cache, userID, true,
		func(a instainstru.AccountStanding) bool { return a.Role == instainstru.RoleInstructor },
		func() (instainstru.AccountStanding, error) { return do(ctx, userID) })
}

// Users is instainstru.UserStore reading through (accounts are never cached) and
// invalidating on the writes that public views show: an instructor's name or zone
// (UpdateUserProfile) and any status set by SetAccountStatus.
type Users struct {
	cache *Cache
	next  instainstru.UserStore
}

// NewUsers wraps next. A nil cache invalidates nothing.
func NewUsers(c *Cache, next instainstru.UserStore) *Users {
	return &Users{cache: c, next: next}
}

// CreateUser implements instainstru.UserStore. A new account is in no cached view until it has a
// profile and an offer, whose writes invalidate.
func (d *Users) CreateUser(ctx context.Context, u *instainstru.User) error {
	return d.next.CreateUser(ctx, u)
}

// UserByID implements instainstru.UserStore.
func (d *Users) UserByID(ctx context.Context, id string) (*instainstru.User, error) {
	return d.next.UserByID(ctx, id)
}

// UserByEmail implements instainstru.UserStore.
func (d *Users) UserByEmail(ctx context.Context, email string) (*instainstru.User, error) {
	return d.next.UserByEmail(ctx, email)
}

// UpdateUserProfile implements instainstru.UserStore: an instructor's new name or zone is
// visible in their profile, calendar and the listings at once.
func (d *Users) UpdateUserProfile(ctx context.Context, id string, fullName, timezone *string) (*instainstru.User, error) {
	return writeThrough(ctx, d.cache, id, false,
		func(u *instainstru.User) bool { return u.Role == instainstru.RoleInstructor },
		func() (*instainstru.User, error) { return d.next.UpdateUserProfile(ctx, id, fullName, timezone) })
}

// SetAccountStatus implements instainstru.UserStore (admin and seeding use): it invalidates as a
// lifecycle transition does, whatever the role (it is rare and does not report one).
func (d *Users) SetAccountStatus(ctx context.Context, id string, status instainstru.AccountStatus) error {
	_, err := writeThrough(ctx, d.cache, id, true, nil, func() (struct{}, error) {
		return struct{}{}, d.next.SetAccountStatus(ctx, id, status)
	})
	return err
}

// Backend is everything the cached decorators wrap and the cache warmer reads;
// *persistence.Store implements it.
type Backend interface {
	instainstru.CatalogReader
	instainstru.InstructorStore
	instainstru.OfferStore
	instainstru.PublicAvailabilityReader
	instainstru.AccountStore
	instainstru.UserStore
	// MostBookedInstructors ranks public instructors for cache warming (see WarmCache).
	MostBookedInstructors(ctx context.Context, days, limit int) ([]string, error)
	InstructorRatesReader
}

// Stores is the full set of cached decorators over one backend, wired into the API in
// place of the store: Catalog, Instructors, Offers, Public, Accounts and Users. Other reads
// (bookings, tokens, search) go to the store directly.
type Stores struct {
	Catalog     *Catalog
	Instructors *Instructors
	Offers      *Offers
	Public      *PublicAvailability
	Accounts    *Accounts
	Users       *Users

	cache   *Cache
	backend Backend
}

// NewStores wraps every read interface of b with c.
func NewStores(c *Cache, b Backend) *Stores {
	catalog := NewCatalog(c, b)
	return &Stores{
		Catalog:     catalog,
		Instructors: NewInstructors(c, b, catalog),
		Offers:      NewOffers(c, b),
		Public:      NewPublicAvailability(c, b),
		Accounts:    NewAccounts(c, b),
		Users:       NewUsers(c, b),
		cache:       c,
		backend:     b,
	}
}

// AvailabilityChanged invalidates every cached public calendar window of one instructor. Its
// signature is that of actors.Config.OnChange, which calls it after each committed booking,
// cancellation or availability write and before the response is sent.
func (s *Stores) AvailabilityChanged(ctx context.Context, instructorID string) {
	s.cache.Bump(ctx, availNamespace(instructorID))
}

// The decorators implement the interfaces they wrap.
var (
	_ instainstru.CatalogReader            = (*Catalog)(nil)
	_ instainstru.InstructorStore          = (*Instructors)(nil)
	_ instainstru.OfferStore               = (*Offers)(nil)
	_ instainstru.PublicAvailabilityReader = (*PublicAvailability)(nil)
	_ instainstru.AccountStore             = (*Accounts)(nil)
	_ instainstru.UserStore                = (*Users)(nil)
	_ Backend                              = (*persistence.Store)(nil)
)
