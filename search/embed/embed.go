// Package embed turns text into fixed-size vectors for semantic search: a deterministic built-in
// embedder that needs no model files, an OpenAI-compatible HTTP provider (which also serves
// Ollama, vLLM and text-embeddings-inference), a Fallback that answers with the built-in one when
// the provider fails, and an LRU cache of query embeddings.
//
// Vectors of different embedders live in different spaces and must never be compared with each
// other: every answer therefore says which embedder produced it (Space), and the search engine
// compares a query vector only with catalog vectors of the same space.
package embed

import (
	"context"
	"math"
)

// Dimensions is the size of every vector the platform stores (service_catalog.embedding).
const Dimensions = 384

// Embedder turns texts into vectors of Dimensions() floats, one per text, in order.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	Dimensions() int
	// Name identifies the vector space ("builtin-v1", "openai:<model>").
	Name() string
}

// SpaceEmbedder is an Embedder that may answer from another space than its Name (Fallback):
// it reports the space of each answer.
type SpaceEmbedder interface {
	Embedder
	EmbedSpace(ctx context.Context, texts []string) (vecs [][]float32, space string, err error)
}

// EmbedSpace embeds with e and names the space of the answer: e's own unless e says otherwise.
func EmbedSpace(ctx context.Context, e Embedder, texts []string) ([][]float32, string, error) {
	if se, ok := e.(SpaceEmbedder); ok {
		return se.EmbedSpace(ctx, texts)
	}
	v, err := e.Embed(ctx, texts)
	return v, e.Name(), err
}

// Cosine is the cosine similarity of a and b (0 when either is zero or the sizes differ).
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// Normalize scales v to unit length in place (a zero vector stays zero) and returns it.
func Normalize(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		return v
	}
	inv := 1 / math.Sqrt(n)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return v
}
