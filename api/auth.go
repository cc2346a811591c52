package api

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// UserDTO is the account as its owner sees it (GET /auth/me and the auth responses).
type UserDTO struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	FullName      string    `json:"full_name"`
	Role          string    `json:"role"`
	AccountStatus string    `json:"account_status"`
	Timezone      string    `json:"timezone"`
	CreatedAt     time.Time `json:"created_at"`
}

func userDTO(u *instainstru.User) UserDTO {
	return UserDTO{ID: u.ID, Email: u.Email, FullName: u.FullName, Role: string(u.Role),
		AccountStatus: string(u.AccountStatus), Timezone: u.Timezone, CreatedAt: u.CreatedAt.UTC()}
}

// AuthResponse is the answer of register, login and refresh: the user and a fresh token pair.
type AuthResponse struct {
	User         UserDTO `json:"user"`
	AccessToken  string  `json:"access_token"`
	RefreshToken string  `json:"refresh_token"`
	TokenType    string  `json:"token_type"`
	ExpiresIn    int     `json:"expires_in"` // access token lifetime in seconds
}

// RegisterRequest is the body of POST /auth/register.
type RegisterRequest struct {
	Email    string  `json:"email"`
	Password string  `json:"password"`
	FullName string  `json:"full_name"`
	Role     string  `json:"role"`
	Timezone *string `json:"timezone"`
}

// LoginRequest is the body of POST /auth/login.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// RefreshRequest is the body of POST /auth/refresh.
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// UpdateMeRequest is the body of PATCH /auth/me. Only these fields exist: strict decoding turns
// an attempt to set role, status or email into a 422 naming that field.
type UpdateMeRequest struct {
	FullName *string `json:"full_name"`
	Timezone *string `json:"timezone"`
}

func (s *Server) authRoutes(r fiber.Router) {
	if len(s.deps.Auth.JWTSecret) == 0 {
		panic("api: auth routes need Deps.Auth.JWTSecret")
	}
	g := r.Group("/auth")
	authLimit := s.limiter.cfg.AuthPerWindow
	g.Post("/register", s.limiter.perIP("register", authLimit), s.register)
	g.Post("/login", s.limiter.perIP("login", authLimit), s.login)
	g.Post("/refresh", s.refresh)
	g.Post("/logout", s.requireUser(), s.logout)
	g.Get("/me", s.requireUser(), s.me)
	g.Patch("/me", s.requireUser(), s.updateMe)
}

func (s *Server) register(c *fiber.Ctx) error {
	var req RegisterRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	email := instainstru.NormalizeEmail(req.Email)
	fullName := strings.TrimSpace(req.FullName)
	tz := instainstru.DefaultTimezone
	var v instainstru.Validator
	v.Check(instainstru.ValidEmail(email), "email", "must be a valid email address")
	v.Check(instainstru.ValidPassword(req.Password), "password", "must be 8 to 128 characters")
	v.Check(instainstru.ValidFullName(fullName), "full_name", "must be 1 to 200 characters")
	switch instainstru.Role(req.Role) {
	case instainstru.RoleStudent, instainstru.RoleInstructor:
	case instainstru.RoleAdmin:
		v.Add("role", "admin accounts cannot be registered")
	default:
		v.Add("role", `must be "student" or "instructor"`)
	}
	if req.Timezone != nil {
		tz = strings.TrimSpace(*req.Timezone)
		v.Check(instainstru.ValidTimezone(tz), "timezone", "must be an IANA timezone such as America/New_York")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.limiter.perEmail(c.UserContext(), "register", email); err != nil {
		return err
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		return instainstru.Internal(err)
	}
	u := &instainstru.User{Email: email, PasswordHash: hash, FullName: fullName,
		Role: instainstru.Role(req.Role), AccountStatus: instainstru.StatusActive, Timezone: tz}
	if err := s.deps.Users.CreateUser(c.UserContext(), u); err != nil {
		return err
	}
	out, err := s.startSession(c.UserContext(), u)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) login(c *fiber.Ctx) error {
	var req LoginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	email := instainstru.NormalizeEmail(req.Email)
	var v instainstru.Validator
	v.Check(email != "", "email", "is required")
	// Every account's email passed ValidEmail at registration, so the check reveals nothing, and
	// hostile input (NUL bytes, megabytes) never reaches the database.
	v.Check(email == "" || instainstru.ValidEmail(email), "email", "must be a valid email address")
	v.Check(req.Password != "", "password", "is required")
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.limiter.perEmail(c.UserContext(), "login", email); err != nil {
		return err
	}
	u, err := credentials{users: s.deps.Users}.check(c.UserContext(), email, req.Password)
	if err != nil {
		return err
	}
	out, err := s.startSession(c.UserContext(), u)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) refresh(c *fiber.Ctx) error {
	var req RefreshRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.RefreshToken == "" {
		return instainstru.Invalid(instainstru.FieldError{Field: "refresh_token", Message: "is required"})
	}
	if !wellFormedRefresh(req.RefreshToken) {
		return &instainstru.Error{Code: instainstru.CodeInvalidToken, Message: "the refresh token is invalid or expired"}
	}
	auth := s.deps.Auth.withDefaults()
	token, hash := auth.successorRefreshSecret(req.RefreshToken)
	next := &instainstru.RefreshToken{Hash: hash, ExpiresAt: time.Now().Add(auth.RefreshTTL)}
	u, err := s.deps.Tokens.RotateRefreshToken(c.UserContext(), hashRefresh(req.RefreshToken), next, auth.RefreshReuseGrace)
	if err != nil {
		return err
	}
	access, err := auth.issueAccessToken(u.ID, u.Role, next.FamilyID, time.Now())
	if err != nil {
		return instainstru.Internal(err)
	}
	return c.JSON(AuthResponse{User: userDTO(u), AccessToken: access, RefreshToken: token,
		TokenType: "Bearer", ExpiresIn: int(auth.AccessTTL / time.Second)})
}

// startSession opens a new refresh family for u and returns the first token pair of it.
func (s *Server) startSession(ctx context.Context, u *instainstru.User) (AuthResponse, error) {
	auth := s.deps.Auth.withDefaults()
	token, hash, err := newRefreshSecret()
	if err != nil {
		return AuthResponse{}, instainstru.Internal(err)
	}
	now := time.Now()
	rt := &instainstru.RefreshToken{UserID: u.ID, Hash: hash, ExpiresAt: now.Add(auth.RefreshTTL)}
	if err := s.deps.Tokens.CreateRefreshToken(ctx, rt); err != nil {
		return AuthResponse{}, err
	}
	access, err := auth.issueAccessToken(u.ID, u.Role, rt.FamilyID, now)
	if err != nil {
		return AuthResponse{}, instainstru.Internal(err)
	}
	return AuthResponse{User: userDTO(u), AccessToken: access, RefreshToken: token, TokenType: "Bearer",
		ExpiresIn: int(auth.AccessTTL / time.Second)}, nil
}

func (s *Server) logout(c *fiber.Ctx) error {
	p := principal(c)
	if err := s.deps.Tokens.RevokeFamily(c.UserContext(), p.UserID, p.FamilyID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) me(c *fiber.Ctx) error {
	u, err := s.deps.Users.UserByID(c.UserContext(), principal(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(userDTO(u))
}

func (s *Server) updateMe(c *fiber.Ctx) error {
	var req UpdateMeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var v instainstru.Validator
	if req.FullName != nil {
		n := strings.TrimSpace(*req.FullName)
		req.FullName = &n
		v.Check(instainstru.ValidFullName(n), "full_name", "must be 1 to 200 characters")
	}
	if req.Timezone != nil {
		tz := strings.TrimSpace(*req.Timezone)
		req.Timezone = &tz
		v.Check(instainstru.ValidTimezone(tz), "timezone", "must be an IANA timezone such as America/New_York")
	}
	if err := v.Err(); err != nil {
		return err
	}
	u, err := s.deps.Users.UpdateUserProfile(c.UserContext(), principal(c).UserID, req.FullName, req.Timezone)
	if err != nil {
		return err
	}
	return c.JSON(userDTO(u))
}
