package meili

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/syncd/syncd/internal/index"
)

// appliedSettings is what a server holding syncd's settings could answer: the values as
// syncd sends them, after the server's normalisation.
func appliedSettings(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	cur := map[string]json.RawMessage{}
	for name, v := range allSettings() {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		cur[name] = raw
	}
	cur["typoTolerance"] = json.RawMessage(`{"enabled":true,"minWordSizeForTypos":{"oneTypo":6,"twoTypos":9},
		"disableOnWords":[],"disableOnAttributes":[],"disableOnNumbers":true}`)
	cur["pagination"] = json.RawMessage(`{"maxTotalHits":1000000}`)
	return cur
}

func TestSettingsPatch_EqualUpToNormalisation(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(cur map[string]json.RawMessage)
		patch []string // settings that must be sent
	}{
		{name: "as sent", edit: func(map[string]json.RawMessage) {}},
		{name: "sortable sorted by the server", edit: func(cur map[string]json.RawMessage) {
			cur["sortableAttributes"] = json.RawMessage(`["firstSeenAt","jxhyPrice","monthSold","pfJxhyPrice","price","repurchaseRate","updatedAt"]`)
		}},
		{name: "filterable rules grouped and reordered", edit: func(cur map[string]json.RawMessage) {
			var rules []filterRule
			_ = json.Unmarshal(cur["filterableAttributes"], &rules)
			var nums, eq filterRule
			for _, r := range rules {
				if r.Features.Filter.Comparison {
					nums.Features = r.Features
					nums.AttributePatterns = append(nums.AttributePatterns, r.AttributePatterns...)
				} else {
					eq.Features = r.Features
					eq.AttributePatterns = append(eq.AttributePatterns, r.AttributePatterns...)
				}
			}
			cur["filterableAttributes"], _ = json.Marshal([]filterRule{eq, nums})
		}},
		{name: "fresh index", edit: func(cur map[string]json.RawMessage) {
			cur["searchableAttributes"] = json.RawMessage(`["*"]`)
			cur["filterableAttributes"] = json.RawMessage(`[]`)
			cur["sortableAttributes"] = json.RawMessage(`[]`)
			cur["rankingRules"] = json.RawMessage(`["words","typo","proximity","attribute","sort","exactness"]`)
			cur["localizedAttributes"] = json.RawMessage(`null`)
			cur["typoTolerance"] = json.RawMessage(`{"enabled":true,"disableOnNumbers":false}`)
			cur["pagination"] = json.RawMessage(`{"maxTotalHits":1000}`)
		}, patch: []string{"searchableAttributes", "localizedAttributes", "filterableAttributes", "sortableAttributes",
			"rankingRules", "typoTolerance", "pagination"}},
		{name: "filterable as plain strings (all features)", edit: func(cur map[string]json.RawMessage) {
			cur["filterableAttributes"] = json.RawMessage(`["price","categoryId"]`)
		}, patch: []string{"filterableAttributes"}},
		{name: "searchable order matters", edit: func(cur map[string]json.RawMessage) {
			cur["searchableAttributes"] = json.RawMessage(`["subject","subjectTrans"]`)
		}, patch: []string{"searchableAttributes"}},
		{name: "typo word sizes changed", edit: func(cur map[string]json.RawMessage) {
			cur["typoTolerance"] = json.RawMessage(`{"enabled":true,"minWordSizeForTypos":{"oneTypo":5,"twoTypos":9},"disableOnNumbers":true}`)
		}, patch: []string{"typoTolerance"}},
		{name: "locale changed", edit: func(cur map[string]json.RawMessage) {
			cur["localizedAttributes"] = json.RawMessage(`[{"attributePatterns":["subject"],"locales":["jpn"]},
				{"attributePatterns":["subjectTrans"],"locales":["eng"]}]`)
		}, patch: []string{"localizedAttributes"}},
		{name: "older server without the setting", edit: func(cur map[string]json.RawMessage) {
			delete(cur, "localizedAttributes")
		}, patch: []string{"localizedAttributes"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cur := appliedSettings(t)
			c.edit(cur)
			_, names := settingsPatch(cur)
			if !sameSet(names, c.patch) || len(names) != len(c.patch) {
				t.Errorf("settings sent = %v, want %v", names, c.patch)
			}
		})
	}
}

func TestDesiredSettings_FollowFieldTable(t *testing.T) {
	all := allSettings()
	var rules []filterRule
	raw, _ := json.Marshal(all["filterableAttributes"])
	_ = json.Unmarshal(raw, &rules)
	byAttr := featuresByAttribute(rules)
	// offerId is filterable by equality only; no facet search anywhere (syncd has no
	// facet-search endpoint, and it costs indexing time).
	if f, ok := byAttr["offerId"]; !ok || f.Filter.Comparison || f.FacetSearch {
		t.Errorf("offerId features = %+v (present %v)", f, ok)
	}
	filterable := index.FieldNames(func(f index.Field) bool { return f.Filterable })
	if len(byAttr) != len(filterable) {
		t.Errorf("filterable attributes %v, want those of index.Fields %v", byAttr, filterable)
	}
	for _, name := range filterable {
		if _, ok := byAttr[name]; !ok {
			t.Errorf("%s is not filterable", name)
		}
	}
	if !slices.Contains(all["rankingRules"].([]string), "sort") {
		t.Error("ranking rules lack sort")
	}
}
