package main

import (
	"errors"
	"reflect"
	"testing"

	"github.com/syncd/syncd/internal/crawl"
)

func TestSelectJobs_DropsRepeatsKeepsOrderRejectsUnknown(t *testing.T) {
	all := []crawl.Job{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	got, err := selectJobs(all, []string{"c", "a", "c"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range got {
		names = append(names, j.Name)
	}
	if !reflect.DeepEqual(names, []string{"c", "a"}) {
		t.Errorf("selected %v, want [c a]", names)
	}
	if got, _ := selectJobs(all, nil); len(got) != 3 {
		t.Errorf("no names selected %d jobs, want all 3", len(got))
	}
	_, err = selectJobs(all, []string{"x"})
	var ue usageError
	if !errors.As(err, &ue) {
		t.Errorf("unknown job: %v, want a usage error", err)
	}
}
