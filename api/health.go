package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// healthz is liveness: the process serves HTTP. It checks nothing else on purpose, so a database
// outage never gets healthy processes restarted.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

type readiness struct {
	Status   string          `json:"status"`
	Database map[string]any  `json:"database"`
	Redis    map[string]any  `json:"redis"`
	Cluster  *ClusterInfoDTO `json:"cluster,omitempty"`
}

// ClusterInfo is the actor cluster as this node sees it (Deps.Cluster).
type ClusterInfo struct {
	Members   int      // live members, this node included
	Self      string   // this node's actor remoting host:port
	Addresses []string // every live member's host:port
}

// ClusterInfoDTO is the cluster part of /readyz.
type ClusterInfoDTO struct {
	Members   int      `json:"members"`
	Self      string   `json:"self"`
	Addresses []string `json:"addresses"`
}

// readyz is readiness: the database answers and its schema is the one this binary expects.
// Redis is reported but not required: every read path fails open to PostgreSQL.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	r := readiness{Status: "ready", Database: map[string]any{}, Redis: map[string]any{}}
	ok := true
	if s.deps.Health == nil {
		ok = false
		r.Database["status"] = "not configured"
	} else if err := s.deps.Health.Ping(ctx); err != nil {
		ok = false
		r.Database["status"] = "unreachable"
	} else {
		v, err := s.deps.Health.SchemaVersion(ctx)
		r.Database["schema_version"] = v
		r.Database["expected_version"] = s.deps.LatestMigration
		switch {
		case err != nil:
			ok = false
			r.Database["status"] = "unreadable schema version"
		case v != s.deps.LatestMigration:
			ok = false
			r.Database["status"] = "migrations pending"
		default:
			r.Database["status"] = "ok"
		}
	}
	switch {
	case s.deps.RedisPing == nil:
		r.Redis["status"] = "not configured"
	case s.deps.RedisPing(ctx) != nil:
		r.Redis["status"] = "down (serving from PostgreSQL)"
	default:
		r.Redis["status"] = "ok"
	}
	if s.deps.Cluster != nil {
		if ci := s.deps.Cluster(); ci != nil {
			r.Cluster = &ClusterInfoDTO{Members: ci.Members, Self: ci.Self, Addresses: ci.Addresses}
			if r.Cluster.Addresses == nil {
				r.Cluster.Addresses = []string{}
			}
			// A node that does not see itself among the members has not joined (yet): the
			// instructors it would own cannot be placed, so it takes no traffic.
			if !contains(ci.Addresses, ci.Self) {
				ok = false
			}
		}
	}
	if !ok {
		r.Status = "not ready"
		c.Set(fiber.HeaderRetryAfter, "5")
		return c.Status(fiber.StatusServiceUnavailable).JSON(r)
	}
	return c.JSON(r)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
