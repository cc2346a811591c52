package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Distribution is a histogram's bucket counts read back from one or more histograms with the
// same bounds (summing them merges them, e.g. one route's histograms of every status class).
type Distribution struct {
	Bounds []float64 // upper bounds, ascending, without +Inf
	Counts []uint64  // cumulative count per bound
	Total  uint64    // every observation (the +Inf bucket)
}

// Add reads h (a histogram of this package, as HistogramVec.WithLabelValues returns it) and adds
// its counts. A value that is not a histogram is ignored.
func (d *Distribution) Add(h prometheus.Observer) {
	m, ok := h.(prometheus.Metric)
	if !ok {
		return
	}
	var pb dto.Metric
	if m.Write(&pb) != nil || pb.Histogram == nil {
		return
	}
	bs := pb.Histogram.GetBucket()
	if d.Bounds == nil {
		d.Bounds = make([]float64, len(bs))
		d.Counts = make([]uint64, len(bs))
		for i, b := range bs {
			d.Bounds[i] = b.GetUpperBound()
		}
	}
	for i, b := range bs {
		if i < len(d.Counts) {
			d.Counts[i] += b.GetCumulativeCount()
		}
	}
	d.Total += pb.Histogram.GetSampleCount()
}

// Quantile estimates the q-quantile (0 < q ≤ 1) the way PromQL's histogram_quantile does: find
// the bucket holding the rank and interpolate linearly inside it (the first bucket starts at 0).
// Observations above the last finite bound are reported as that bound. No observations: 0.
func (d *Distribution) Quantile(q float64) float64 {
	if d.Total == 0 || len(d.Bounds) == 0 {
		return 0
	}
	rank := q * float64(d.Total)
	lower, below := 0.0, uint64(0)
	for i, upper := range d.Bounds {
		c := d.Counts[i]
		if float64(c) >= rank {
			in := c - below
			if in == 0 {
				return upper
			}
			return lower + (upper-lower)*(rank-float64(below))/float64(in)
		}
		lower, below = upper, c
	}
	return d.Bounds[len(d.Bounds)-1]
}

// Max is an upper estimate of the largest observation: the bound of the highest non-empty bucket
// (the last finite bound when observations exceed every bound, so the value stays a number JSON
// can carry). No observations: 0.
func (d *Distribution) Max() float64 {
	if d.Total == 0 {
		return 0
	}
	prev := uint64(0)
	hi := 0.0
	for i, upper := range d.Bounds {
		if d.Counts[i] > prev {
			hi = upper
		}
		prev = d.Counts[i]
	}
	if d.Total > prev && len(d.Bounds) > 0 {
		return d.Bounds[len(d.Bounds)-1]
	}
	return hi
}
