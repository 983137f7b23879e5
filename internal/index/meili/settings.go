package meili

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/syncd/syncd/internal/index"
)

// maxTotalHits is the pagination.maxTotalHits setting: the most results a query can page
// through, and the cap on estimatedTotalHits (Result.Total). Meilisearch's default of 1000
// would report "1000" for a catalog of 300,000 offers and return no hits past page 50. Only
// deep pages cost more: a page is ranked up to its offset, whatever the cap.
const maxTotalHits = 1_000_000

// filterFeatures is Meilisearch's granular filterableAttributes features object (>= 1.14).
type filterFeatures struct {
	FacetSearch bool `json:"facetSearch"`
	Filter      struct {
		Equality   bool `json:"equality"`
		Comparison bool `json:"comparison"`
	} `json:"filter"`
}

// filterRule is one granular filterableAttributes entry.
type filterRule struct {
	AttributePatterns []string       `json:"attributePatterns"`
	Features          filterFeatures `json:"features"`
}

// localeRule is one localizedAttributes entry (>= 1.10).
type localeRule struct {
	AttributePatterns []string `json:"attributePatterns"`
	Locales           []string `json:"locales"`
}

// typoTolerance is the part of the typoTolerance setting syncd sets; the rest (enabled,
// disableOnWords, disableOnAttributes) keeps the server's value.
type typoTolerance struct {
	DisableOnNumbers    bool `json:"disableOnNumbers"`
	MinWordSizeForTypos struct {
		OneTypo  int `json:"oneTypo"`
		TwoTypos int `json:"twoTypos"`
	} `json:"minWordSizeForTypos"`
}

// setting is one index setting syncd manages: the value to PATCH, and how to tell from GET
// /indexes/{uid}/settings whether the server already has it. Meilisearch normalises some
// settings (sortableAttributes come back sorted, typoTolerance comes back complete), so
// equality is semantic, not textual.
type setting struct {
	name  string
	value any
	equal func(current json.RawMessage) bool
}

// desiredSettings derives the index settings from the index.Fields table; doc.go explains
// each choice.
func desiredSettings() []setting {
	searchable := []string{"subjectTrans", "subject"}
	var filterable []filterRule
	for _, f := range index.Fields {
		if !f.Filterable {
			continue
		}
		var r filterRule
		r.AttributePatterns = []string{f.Name}
		r.Features.Filter.Equality = true
		r.Features.Filter.Comparison = f.Type == index.TypeNumber
		filterable = append(filterable, r)
	}
	sortable := index.FieldNames(func(f index.Field) bool { return f.Sortable })
	ranking := []string{"words", "sort", "typo", "monthSold:desc", "proximity", "attribute", "exactness"}
	typo := typoTolerance{DisableOnNumbers: true}
	typo.MinWordSizeForTypos.OneTypo, typo.MinWordSizeForTypos.TwoTypos = 6, 9
	localized := []localeRule{
		{AttributePatterns: []string{"subject"}, Locales: []string{"cmn"}},
		{AttributePatterns: []string{"subjectTrans"}, Locales: []string{"eng"}},
	}
	return []setting{
		{"searchableAttributes", searchable, equalAs(func(cur []string) bool { return slices.Equal(cur, searchable) })},
		{"localizedAttributes", localized, equalAs(func(cur []localeRule) bool { return localesOf(cur) == localesOf(localized) })},
		{"filterableAttributes", filterable, equalFilterable(filterable)},
		{"sortableAttributes", sortable, equalAs(func(cur []string) bool { return sameSet(cur, sortable) })},
		{"rankingRules", ranking, equalAs(func(cur []string) bool { return slices.Equal(cur, ranking) })},
		{"typoTolerance", typo, equalAs(func(cur typoTolerance) bool { return cur == typo })},
		{"pagination", map[string]any{"maxTotalHits": maxTotalHits},
			equalAs(func(cur struct{ MaxTotalHits int64 }) bool { return cur.MaxTotalHits == maxTotalHits })},
	}
}

// settingsPatch returns the PATCH body setting every managed setting that differs from
// current (the GET /indexes/{uid}/settings answer), and the names of those settings.
func settingsPatch(current map[string]json.RawMessage) (map[string]any, []string) {
	patch := map[string]any{}
	var names []string
	for _, s := range desiredSettings() {
		if !s.equal(current[s.name]) {
			patch[s.name] = s.value
			names = append(names, s.name)
		}
	}
	return patch, names
}

// allSettings returns the PATCH body of every managed setting, for a new index.
func allSettings() map[string]any {
	patch := map[string]any{}
	for _, s := range desiredSettings() {
		patch[s.name] = s.value
	}
	return patch
}

// applySettings PATCHes the settings of index uid that differ from syncd's and waits for the
// task. It sends nothing when they are all in place already: a settings update makes
// Meilisearch re-index every document.
func (ix *Index) applySettings(ctx context.Context, uid string) error {
	current, err := ix.currentSettings(ctx, uid)
	if err != nil {
		return fmt.Errorf("read settings of index %q: %w", uid, err)
	}
	patch, names := settingsPatch(current)
	if len(patch) == 0 {
		return nil
	}
	ix.log.Info("updating meilisearch index settings", "index", uid, "settings", names)
	return ix.patchSettings(ctx, uid, patch)
}

// currentSettings reads the settings syncd manages with the SDK's per-setting getters
// (GET /indexes/{uid}/settings/{setting}) and returns them as JSON, for settingsPatch. The
// SDK's GetSettings cannot read them: its Settings.FilterableAttributes is a []string, so
// decoding fails once the granular rules syncd sets are in place.
func (ix *Index) currentSettings(ctx context.Context, uid string) (map[string]json.RawMessage, error) {
	im := ix.cl.sm.Index(uid)
	getters := []struct {
		name string
		get  func() (any, error)
	}{
		{"searchableAttributes", func() (any, error) { return im.GetSearchableAttributes(ctx) }},
		{"localizedAttributes", func() (any, error) { return im.GetLocalizedAttributes(ctx) }},
		{"filterableAttributes", func() (any, error) { return im.GetFilterableAttributes(ctx) }},
		{"sortableAttributes", func() (any, error) { return im.GetSortableAttributes(ctx) }},
		{"rankingRules", func() (any, error) { return im.GetRankingRules(ctx) }},
		{"typoTolerance", func() (any, error) { return im.GetTypoTolerance(ctx) }},
		{"pagination", func() (any, error) { return im.GetPagination(ctx) }},
	}
	current := make(map[string]json.RawMessage, len(getters))
	for _, g := range getters {
		v, err := g.get()
		if err = ix.cl.check(ctx, err); err != nil {
			return nil, err
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", g.name, err)
		}
		current[g.name] = raw
	}
	return current, nil
}

// patchSettings sends patch in one PATCH /indexes/{uid}/settings and waits up to
// Options.SettingsTimeout for it to be applied. This is one of the two calls made without
// the SDK (doc.go): its UpdateSettings takes a Settings whose FilterableAttributes is a
// []string, so it cannot send granular rules, and whose TypoTolerance always carries
// enabled, disableOnWords and disableOnAttributes, zero values included, so it cannot change
// two sub-settings and leave the others alone. The SDK's per-setting updaters could send
// each setting, but as up to seven settings tasks, each of which may re-index every
// document; one PATCH is one task.
func (ix *Index) patchSettings(ctx context.Context, uid string, patch map[string]any) error {
	var ti taskInfo
	if err := ix.cl.do(ctx, http.MethodPatch, "/indexes/"+uid+"/settings", patch, http.StatusAccepted, &ti); err != nil {
		return fmt.Errorf("update settings of index %q: %w", uid, err)
	}
	if err := ix.wait(ctx, ti, ix.opts.SettingsTimeout); err != nil {
		return fmt.Errorf("update settings of index %q: %w", uid, err)
	}
	return nil
}

// equalAs decodes the current value into T and compares it; a missing or undecodable value
// (an older server, or another shape) is never equal, so syncd's value is sent.
func equalAs[T any](eq func(T) bool) func(json.RawMessage) bool {
	return func(raw json.RawMessage) bool {
		var cur T
		if len(raw) == 0 || json.Unmarshal(raw, &cur) != nil {
			return false
		}
		return eq(cur)
	}
}

// equalFilterable compares filterableAttributes per attribute: the server may list rules in
// another grouping or order, and a plain string entry means every feature enabled.
func equalFilterable(want []filterRule) func(json.RawMessage) bool {
	return func(raw json.RawMessage) bool {
		var entries []json.RawMessage
		if len(raw) == 0 || json.Unmarshal(raw, &entries) != nil {
			return false
		}
		var cur []filterRule
		for _, e := range entries {
			var name string
			if json.Unmarshal(e, &name) == nil {
				r := filterRule{AttributePatterns: []string{name}}
				r.Features.FacetSearch, r.Features.Filter.Equality, r.Features.Filter.Comparison = true, true, true
				cur = append(cur, r)
				continue
			}
			var r filterRule
			if json.Unmarshal(e, &r) != nil {
				return false
			}
			cur = append(cur, r)
		}
		return maps.Equal(featuresByAttribute(cur), featuresByAttribute(want))
	}
}

func featuresByAttribute(rules []filterRule) map[string]filterFeatures {
	m := map[string]filterFeatures{}
	for _, r := range rules {
		for _, p := range r.AttributePatterns {
			m[p] = r.Features
		}
	}
	return m
}

// localesOf renders localized attribute rules as one comparable string, per attribute.
func localesOf(rules []localeRule) string {
	m := map[string][]string{}
	for _, r := range rules {
		for _, p := range r.AttributePatterns {
			m[p] = append(m[p], r.Locales...)
		}
	}
	keys := slices.Sorted(maps.Keys(m))
	out := ""
	for _, k := range keys {
		slices.Sort(m[k])
		out += fmt.Sprintf("%s=%v;", k, m[k])
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
