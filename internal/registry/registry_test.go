package registry

import (
	"reflect"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := New[int]("thing")
	r.Add(1, "one", "uno")
	r.Add(2, "two")
	if v, ok := r.Get("uno"); !ok || *v != 1 {
		t.Errorf("Get(uno) = %v, %v", v, ok)
	}
	if _, ok := r.Get("three"); ok {
		t.Error("Get found a name never registered")
	}
	if got := r.Names(); !reflect.DeepEqual(got, []string{"one", "two", "uno"}) {
		t.Errorf("Names = %v", got)
	}
	defer func() {
		if p := recover(); p == nil || p != `thing "two" registered twice` {
			t.Errorf("a duplicate name: panic %v", p)
		}
	}()
	r.Add(3, "three", "two")
}
