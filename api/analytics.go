package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// AnalyticsQueue starts an analytics recalculation in the background (tasks.RecalcQueue
// implements it) and returns the queued task's ID.
type AnalyticsQueue interface {
	EnqueueRecalculate(ctx context.Context) (string, error)
}

// ServiceAnalyticsDTO is GET /analytics/services/{id}: a service's latest daily figures. A
// service the analytics job has not covered yet answers zeros, null prices and a null
// calculated_at, so clients need no special case for a new service.
type ServiceAnalyticsDTO struct {
	SearchCount7d     int        `json:"search_count_7d"`
	SearchCount30d    int        `json:"search_count_30d"`
	BookingCount7d    int        `json:"booking_count_7d"`
	BookingCount30d   int        `json:"booking_count_30d"`
	BookingCount90d   int        `json:"booking_count_90d"`
	ActiveInstructors int        `json:"active_instructors"`
	AvgPriceCents     *int       `json:"avg_price_cents"`
	PriceP25Cents     *int       `json:"price_p25_cents"`
	PriceP50Cents     *int       `json:"price_p50_cents"`
	PriceP75Cents     *int       `json:"price_p75_cents"`
	DemandScore       float64    `json:"demand_score"`
	IsTrending        bool       `json:"is_trending"`
	CalculatedAt      *time.Time `json:"calculated_at"`
}

// RecalculateDTO is the 202 answer of POST /admin/analytics/recalculate.
type RecalculateDTO struct {
	TaskID string `json:"task_id"`
}

// analyticsRoutes registers the public figures (with Catalog) and the admin recalculation (with
// AnalyticsQueue and Tokens: only an admin account's Bearer token may start one).
func (s *Server) analyticsRoutes(r fiber.Router) {
	if s.deps.Catalog != nil {
		r.Get("/analytics/services/:id", s.serviceAnalytics)
	}
	if s.deps.AnalyticsQueue != nil && s.deps.Tokens != nil {
		r.Post("/admin/analytics/recalculate", s.requireUser(), requireRole(instainstru.RoleAdmin), s.recalculateAnalytics)
	}
}

// serviceAnalytics is GET /analytics/services/{id}: the figures of the latest analytics row of an
// active catalog service, named by UUID or slug (anything else is 404, as in the catalog).
func (s *Server) serviceAnalytics(c *fiber.Ctx) error {
	ref := c.Params("id")
	if len(ref) > 100 || !instainstru.PrintableText(ref) {
		return &instainstru.Error{Code: instainstru.CodeNotFound, Message: "catalog service not found"}
	}
	_, a, err := s.deps.Catalog.CatalogServiceDetail(c.UserContext(), ref)
	if err != nil {
		return err
	}
	out := ServiceAnalyticsDTO{}
	if a != nil {
		out = serviceAnalyticsDTO(a)
	}
	return c.JSON(out)
}

func serviceAnalyticsDTO(a *instainstru.ServiceAnalytics) ServiceAnalyticsDTO {
	at := a.CalculatedAt.UTC()
	return ServiceAnalyticsDTO{
		SearchCount7d: a.SearchCount7d, SearchCount30d: a.SearchCount30d, BookingCount7d: a.BookingCount7d,
		BookingCount30d: a.BookingCount30d, BookingCount90d: a.BookingCount90d,
		ActiveInstructors: a.ActiveInstructors, AvgPriceCents: a.AvgPriceCents, PriceP25Cents: a.PriceP25Cents,
		PriceP50Cents: a.PriceP50Cents, PriceP75Cents: a.PriceP75Cents, DemandScore: a.DemandScore,
		IsTrending: a.IsTrending, CalculatedAt: &at,
	}
}

// recalculateAnalytics is POST /admin/analytics/recalculate: it queues a recalculation of
// today's figures and answers 202 with the task's ID (visible on the job dashboard).
func (s *Server) recalculateAnalytics(c *fiber.Ctx) error {
	id, err := s.deps.AnalyticsQueue.EnqueueRecalculate(c.UserContext())
	if err != nil {
		return &instainstru.Error{Code: instainstru.CodeUnavailable, Message: "the job queue did not accept the task; retry",
			RetryAfter: 5 * time.Second, Cause: err}
	}
	return c.Status(fiber.StatusAccepted).JSON(RecalculateDTO{TaskID: id})
}
