package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/instainstru/instainstru"
)

// CategoryDTO is a catalog category as the API shows it.
type CategoryDTO struct {
	ID           string `json:"id"`
	Slug         string `json:"slug"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	DisplayOrder int    `json:"display_order"`
	ServiceCount int    `json:"service_count"`
}

func categoryDTO(c instainstru.Category) CategoryDTO {
	return CategoryDTO{ID: c.ID, Slug: c.Slug, Name: c.Name, Description: c.Description,
		DisplayOrder: c.DisplayOrder, ServiceCount: c.ServiceCount}
}

func (s *Server) catalogRoutes(r fiber.Router) {
	r.Get("/catalog/categories", s.listCategories)
}

func (s *Server) listCategories(c *fiber.Ctx) error {
	cats, err := s.deps.Catalog.Categories(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]CategoryDTO, 0, len(cats))
	for _, cat := range cats {
		out = append(out, categoryDTO(cat))
	}
	return c.JSON(out)
}
