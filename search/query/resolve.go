package query

// resolve settles the constraints read into p. Conflicts: two prices or two times that cannot
// both hold keep the later one; two dates that overlap keep their intersection, two that do not
// are alternatives ("friday or saturday") and read as the span from the first to the last.
func (s *state) resolve(p *Parsed) {
	// prices
	var lo, hi *int
	for _, c := range s.prices {
		nlo, nhi := lo, hi
		if c.min != nil && (nlo == nil || *c.min > *nlo) {
			nlo = c.min
		}
		if c.max != nil && (nhi == nil || *c.max < *nhi) {
			nhi = c.max
		}
		if nlo != nil && nhi != nil && *nlo > *nhi {
			nlo, nhi = c.min, c.max
		}
		lo, hi = nlo, nhi
	}
	p.MinPriceCents, p.MaxPriceCents = lo, hi
	p.Cheap = s.cheap

	// dates: place weekdays against the plain ranges, then combine in the order written
	var ranges []dateC
	for _, d := range s.dates {
		if d.wd < 0 {
			ranges = append(ranges, d)
		}
	}
	var acc *dateC
	for _, d := range s.dates {
		if d.wd >= 0 {
			day := s.placeWeekday(dayExpr{wd: d.wd, nextWeek: d.nextWeek}, ranges)
			d = dateC{from: day, to: day, wd: -1}
		}
		switch {
		case acc == nil:
			acc = &dateC{from: d.from, to: d.to}
		case !d.from.After(acc.to) && !acc.from.After(d.to): // overlap: intersection
			if d.from.After(acc.from) {
				acc.from = d.from
			}
			if d.to.Before(acc.to) {
				acc.to = d.to
			}
		default: // disjoint: span
			if d.from.Before(acc.from) {
				acc.from = d.from
			}
			if d.to.After(acc.to) {
				acc.to = d.to
			}
		}
	}
	if acc != nil {
		p.DateFrom, p.DateTo = ptr(acc.from), ptr(acc.to)
	}

	// times of day: intersect; when empty, the later window wins
	var w *timeC
	for _, c := range s.times {
		c := c
		if w == nil {
			w = &c
			continue
		}
		if m, ok := intersect(*w, c); ok {
			w = &m
		} else {
			w = &c
		}
	}
	if w != nil {
		p.TimeAfter, p.TimeBefore, p.ExactStart = w.after, w.before, w.exact
	}

	p.DurationMinutes = s.duration
	p.LocationType, p.Location, p.Level = s.locType, s.location, s.level
}

// intersect is the window where both a and b hold, and whether there is one.
func intersect(a, b timeC) (timeC, bool) {
	if a.exact && b.exact {
		return a, *a.after == *b.after
	}
	if b.exact {
		a, b = b, a
	}
	if a.exact {
		e := *a.after
		if b.after != nil && *b.after > e {
			return timeC{}, false
		}
		if b.before != nil && *b.before <= e {
			return timeC{}, false
		}
		before := a.before
		if b.before != nil && (before == nil || *b.before < *before) {
			before = b.before
		}
		return timeC{after: a.after, before: before, exact: true}, true
	}
	out := timeC{after: a.after, before: a.before}
	if b.after != nil && (out.after == nil || *b.after > *out.after) {
		out.after = b.after
	}
	if b.before != nil && (out.before == nil || *b.before < *out.before) {
		out.before = b.before
	}
	if out.after != nil && out.before != nil && *out.after >= *out.before {
		return timeC{}, false
	}
	return out, true
}
