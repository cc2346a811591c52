package embed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// OpenAIConfig configures the OpenAI-compatible provider (EMBEDDINGS_URL, EMBEDDINGS_MODEL,
// EMBEDDINGS_API_KEY).
type OpenAIConfig struct {
	// URL is either the API base ("http://host:11434/v1": /embeddings is appended) or the full
	// endpoint ending in /embeddings.
	URL    string
	Model  string
	APIKey string // sent as "Authorization: Bearer <key>" when not empty
	// Timeout bounds one call (default 2 s): a query must not wait long for a provider that stalls,
	// the Fallback answers instead.
	Timeout time.Duration
	// Dimensions is the size the provider must answer with (default 384).
	Dimensions int
	// Client is the HTTP client (default: a client with Timeout).
	Client *http.Client
}

// OpenAI embeds through an OpenAI-compatible POST /embeddings endpoint.
type OpenAI struct {
	url, model, key string
	dims            int
	timeout         time.Duration
	client          *http.Client
}

// NewOpenAI builds the provider and checks it at once: one embedding call must answer with vectors
// of the configured dimension. A mismatch or an unreachable provider is a start-up error, never a
// silent failure later (stored vectors of another size could not be compared).
func NewOpenAI(ctx context.Context, cfg OpenAIConfig) (*OpenAI, error) {
	if cfg.URL == "" || cfg.Model == "" {
		return nil, fmt.Errorf("embeddings: the provider needs a URL and a model")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Dimensions <= 0 {
		cfg.Dimensions = Dimensions
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	u := strings.TrimRight(cfg.URL, "/")
	if !strings.HasSuffix(u, "/embeddings") {
		u += "/embeddings"
	}
	o := &OpenAI{url: u, model: cfg.Model, key: cfg.APIKey, dims: cfg.Dimensions, timeout: cfg.Timeout, client: cfg.Client}
	if _, err := o.Embed(ctx, []string{"dimension check"}); err != nil {
		return nil, fmt.Errorf("embeddings provider %s (model %s) failed its start-up check: %w", u, cfg.Model, err)
	}
	return o, nil
}

// Dimensions is the configured size.
func (o *OpenAI) Dimensions() int { return o.dims }

// Name is "openai:<model>".
func (o *OpenAI) Name() string { return "openai:" + o.model }

type openAIRequest struct {
	Model string   `json:"model"`
	Input []string `json:"input"`
}

type openAIResponse struct {
	Data []struct {
		Embedding []float32 `json:"embedding"`
		Index     int       `json:"index"`
	} `json:"data"`
}

// Embed posts the texts in one request. Any transport error, non-2xx status, malformed body,
// missing index or vector of the wrong size is an error. Vectors are L2-normalized so cosine and
// dot product agree whatever the provider returns.
func (o *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	body, err := json.Marshal(openAIRequest{Model: o.model, Input: texts})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if o.key != "" {
		req.Header.Set("Authorization", "Bearer "+o.key)
	}
	res, err := o.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("embeddings request: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("embeddings response: %w", err)
	}
	if res.StatusCode/100 != 2 {
		snippet := string(raw)
		if len(snippet) > 200 {
			snippet = snippet[:200]
		}
		return nil, fmt.Errorf("embeddings provider answered %d: %s", res.StatusCode, snippet)
	}
	var parsed openAIResponse
	if err := json.Unmarshal(raw, &parsed); err != nil {
		return nil, fmt.Errorf("embeddings response is not the expected JSON: %w", err)
	}
	out := make([][]float32, len(texts))
	for _, d := range parsed.Data {
		if d.Index < 0 || d.Index >= len(texts) {
			return nil, fmt.Errorf("embeddings response has index %d for %d inputs", d.Index, len(texts))
		}
		if len(d.Embedding) != o.dims {
			return nil, fmt.Errorf("embeddings provider returned %d dimensions, %d configured", len(d.Embedding), o.dims)
		}
		out[d.Index] = Normalize(d.Embedding)
	}
	for i, v := range out {
		if v == nil {
			return nil, fmt.Errorf("embeddings response lacks input %d", i)
		}
	}
	return out, nil
}
