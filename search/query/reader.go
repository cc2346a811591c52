package query

import (
	"sort"
	"strings"
)

// Reader reads queries against one catalog. It is immutable after NewReader and safe for
// concurrent use; build a new one when the catalog or the areas change.
type Reader struct {
	serviceIDs    []string
	categorySlugs []string

	phrases *trieNode // service and category phrases, in match tokens
	areas   *trieNode // known areas, in match tokens

	words   map[string]int32   // every word of every phrase → rank (lower wins a typo tie)
	wordAt  []string           // rank order → word, for typo candidates
	deletes map[string][]int32 // typo index: word with up to two letters deleted → word ranks
}

// trieNode is one step of a phrase trie keyed by whole tokens.
type trieNode struct {
	next  map[string]*trieNode
	entry *phraseEntry
}

// phraseEntry is what a complete phrase names.
type phraseEntry struct {
	services   []int // indexes into serviceIDs, catalog order
	tier       int   // 1 name or slug, 2 search term, 3 derived (filler removed); lower wins
	categories []int // indexes into categorySlugs; only when no service owns the phrase
	area       string
	weight     int // words of the phrase that are not filler: a longer real phrase wins
	size       int // tokens
}

func (n *trieNode) child(tok string) *trieNode {
	if n.next == nil {
		return nil
	}
	return n.next[tok]
}

func (n *trieNode) insert(toks []string) *phraseEntry {
	cur := n
	for _, t := range toks {
		nx := cur.child(t)
		if nx == nil {
			if cur.next == nil {
				cur.next = make(map[string]*trieNode, 2)
			}
			nx = &trieNode{}
			cur.next[t] = nx
		}
		cur = nx
	}
	if cur.entry == nil {
		cur.entry = &phraseEntry{size: len(toks), weight: contentWeight(toks)}
	}
	return cur.entry
}

func contentWeight(toks []string) int {
	w := 0
	for _, t := range toks {
		if !filler[t] {
			w++
		}
	}
	return w
}

var emptyReader = NewReader(Vocabulary{})

// dropInMatch are punctuation tokens that join words without separating them ("jiu-jitsu",
// "react.js", "ux/ui"): a phrase reads the same with or without them.
var dropInMatch = set("-", ".", "/", ":", "$", "<", ">", "=")

// matchTokens turns a catalog phrase into the tokens the matcher compares.
func matchTokens(phrase string) []string {
	raw := normalize(phrase)
	out := raw[:0]
	for _, t := range raw {
		switch {
		case dropInMatch[t] || t == ",":
		case t == "&":
			out = append(out, "and")
		default:
			out = append(out, t)
		}
	}
	return out
}

// variants lists the spellings a catalog phrase is known by: as written; with a parenthesized
// part removed and alone ("Go (Golang)" → "go", "golang"); with hyphens closed up
// ("jiu-jitsu" → "jiujitsu").
func variants(phrase string) []string {
	out := []string{phrase}
	if open := strings.IndexByte(phrase, '('); open >= 0 {
		if cl := strings.IndexByte(phrase[open:], ')'); cl > 0 {
			out = append(out, phrase[:open]+phrase[open+cl+1:], phrase[open+1:open+cl])
		}
	}
	for _, p := range out {
		if strings.Contains(p, "-") {
			out = append(out, strings.ReplaceAll(p, "-", ""))
			break
		}
	}
	return out
}

// NewReader precomputes the indexes (exact names/slugs, terms, category aliases, typo index).
func NewReader(v Vocabulary) *Reader {
	r := &Reader{phrases: &trieNode{}, areas: &trieNode{}, words: map[string]int32{}}
	for _, s := range v.Services {
		r.serviceIDs = append(r.serviceIDs, s.ID)
	}
	for _, c := range v.Categories {
		r.categorySlugs = append(r.categorySlugs, c.Slug)
	}
	addService := func(toks []string, si, tier int) {
		if len(toks) == 0 {
			return
		}
		e := r.phrases.insert(toks)
		switch {
		case len(e.services) == 0 || tier < e.tier:
			e.services, e.tier = []int{si}, tier
		case tier == e.tier:
			for _, x := range e.services {
				if x == si {
					return
				}
			}
			e.services = append(e.services, si)
		}
	}
	// Names and slugs first, then terms, so a service's own name always beats another's term.
	for si, s := range v.Services {
		for _, ph := range append(variants(s.Name), strings.ReplaceAll(s.Slug, "-", " ")) {
			addService(matchTokens(ph), si, 1)
		}
	}
	for si, s := range v.Services {
		for _, term := range s.Terms {
			for _, ph := range variants(term) {
				addService(matchTokens(ph), si, 2)
			}
		}
	}
	exists := func(toks []string) bool {
		n := r.phrases
		for _, t := range toks {
			if n = n.child(t); n == nil {
				return false
			}
		}
		return n.entry != nil && (len(n.entry.services) > 0 || len(n.entry.categories) > 0)
	}
	addCategory := func(toks []string, ci int) {
		if len(toks) == 0 || (exists(toks) && len(r.lookup(toks).services) > 0) {
			return // a service's phrase beats a category's
		}
		e := r.phrases.insert(toks)
		for _, x := range e.categories {
			if x == ci {
				return
			}
		}
		e.categories = append(e.categories, ci)
	}
	for ci, c := range v.Categories {
		for _, ph := range append(append(variants(c.Name), strings.ReplaceAll(c.Slug, "-", " ")), c.Aliases...) {
			for _, vv := range variants(ph) {
				addCategory(matchTokens(vv), ci)
			}
		}
	}
	// Derived spellings without filler ("Driving Lessons" → "driving", "life coach" → "life"):
	// only where the phrase is not already someone's, so they never steal a real name.
	type derived struct {
		toks []string
		si   int
		ci   int
	}
	var ds []derived
	for si, s := range v.Services {
		for _, ph := range append(append(variants(s.Name), strings.ReplaceAll(s.Slug, "-", " ")), s.Terms...) {
			if t := stripFiller(matchTokens(ph)); t != nil {
				ds = append(ds, derived{t, si, -1})
			}
		}
	}
	for ci, c := range v.Categories {
		for _, ph := range append(variants(c.Name), c.Aliases...) {
			if t := stripFiller(matchTokens(ph)); t != nil {
				ds = append(ds, derived{t, -1, ci})
			}
		}
	}
	var fresh []derived
	for _, d := range ds {
		if !exists(d.toks) {
			fresh = append(fresh, d)
		}
	}
	for _, d := range fresh {
		if d.si >= 0 {
			addService(d.toks, d.si, 3)
		} else if len(r.lookup(d.toks).services) == 0 {
			addCategory(d.toks, d.ci)
		}
	}
	for _, a := range v.Areas {
		toks := matchTokens(a)
		if len(toks) == 0 {
			continue
		}
		e := r.areas.insert(toks)
		if e.area == "" {
			e.area = strings.Join(toks, " ")
		}
	}
	r.buildWords()
	return r
}

// lookup returns the entry of a complete phrase, or an empty one.
func (r *Reader) lookup(toks []string) *phraseEntry {
	n := r.phrases
	for _, t := range toks {
		if n = n.child(t); n == nil {
			return &phraseEntry{}
		}
	}
	if n.entry == nil {
		return &phraseEntry{}
	}
	return n.entry
}

// stripFiller returns toks without filler words, or nil when nothing or nothing new is left.
func stripFiller(toks []string) []string {
	var out []string
	for _, t := range toks {
		if !filler[t] {
			out = append(out, t)
		}
	}
	if len(out) == 0 || len(out) == len(toks) {
		return nil
	}
	return out
}

// buildWords collects every word of every phrase, ranked so that a typo tie goes to a word
// that is a whole service name, then a whole service term, then a category, then the rest.
func (r *Reader) buildWords() {
	type cand struct {
		w     string
		class int
		order int
	}
	best := map[string]cand{}
	order := 0
	var walk func(n *trieNode, depth int)
	walk = func(n *trieNode, depth int) {
		// deterministic: visit children in sorted order
		keys := make([]string, 0, len(n.next))
		for k := range n.next {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c := n.next[k]
			class := 4
			if depth == 0 && c.entry != nil {
				switch {
				case len(c.entry.services) > 0 && c.entry.tier == 1:
					class = 1
				case len(c.entry.services) > 0:
					class = 2
				case len(c.entry.categories) > 0:
					class = 3
				}
			}
			order++
			if old, ok := best[k]; !ok || class < old.class {
				best[k] = cand{k, class, order}
			}
			walk(c, depth+1)
		}
	}
	walk(r.phrases, 0)
	list := make([]cand, 0, len(best))
	for _, c := range best {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].class != list[j].class {
			return list[i].class < list[j].class
		}
		return list[i].w < list[j].w
	})
	r.wordAt = make([]string, len(list))
	r.deletes = make(map[string][]int32, len(list)*24)
	for i, c := range list {
		r.wordAt[i] = c.w
		r.words[c.w] = int32(i)
		rs := []rune(c.w)
		if len(rs) < minTypoLen || len(rs) > maxTypoLen {
			continue
		}
		forDeletes(rs, 2, func(d string) {
			ids := r.deletes[d]
			if n := len(ids); n > 0 && ids[n-1] == int32(i) {
				return
			}
			r.deletes[d] = append(ids, int32(i))
		})
	}
}
