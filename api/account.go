package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// AccountStatusDTO is the answer of every /account endpoint: where the account stands and which
// transitions the caller could make right now.
type AccountStatusDTO struct {
	AccountStatus       string `json:"account_status"`
	CanSuspend          bool   `json:"can_suspend"`
	CanDeactivate       bool   `json:"can_deactivate"`
	FutureBookingsCount int    `json:"future_bookings_count"`
}

func accountStatusDTO(a instainstru.AccountStanding) AccountStatusDTO {
	return AccountStatusDTO{AccountStatus: string(a.Status), CanSuspend: a.CanSuspend(),
		CanDeactivate: a.CanDeactivate(), FutureBookingsCount: a.FutureBookings}
}

func (s *Server) accountRoutes(r fiber.Router) {
	g := r.Group("/account", s.requireUser())
	g.Get("/status", s.accountStatus)
	g.Post("/suspend", requireRole(instainstru.RoleInstructor), s.suspendAccount)
	g.Post("/deactivate", s.deactivateAccount)
	// Reactivation is an instructor's (API.md: "suspended instructor"); a student is the wrong
	// role (403), an instructor who is not suspended is in no state to reactivate (409).
	g.Post("/reactivate", requireRole(instainstru.RoleInstructor), s.reactivateAccount)
}

func (s *Server) accountStatus(c *fiber.Ctx) error {
	a, err := s.deps.Accounts.AccountStanding(c.UserContext(), principal(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(accountStatusDTO(a))
}

func (s *Server) suspendAccount(c *fiber.Ctx) error {
	a, err := s.deps.Accounts.SuspendAccount(c.UserContext(), principal(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(accountStatusDTO(a))
}

func (s *Server) deactivateAccount(c *fiber.Ctx) error {
	a, err := s.deps.Accounts.DeactivateAccount(c.UserContext(), principal(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(accountStatusDTO(a))
}

func (s *Server) reactivateAccount(c *fiber.Ctx) error {
	a, err := s.deps.Accounts.ReactivateAccount(c.UserContext(), principal(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(accountStatusDTO(a))
}
