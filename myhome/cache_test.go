package myhome

import "testing"

func TestViewCacheDropsLoadsThatRacedAnInvalidation(t *testing.T) {
	var c viewCache
	v, version := c.get("a")
	if v != nil {
		t.Fatal("empty cache returned a view")
	}
	c.invalidate("a") // a write lands while the load runs
	c.put("a", version, &view{})
	if v, _ := c.get("a"); v != nil {
		t.Fatal("a load older than the last write was cached")
	}
	_, version = c.get("a")
	c.put("a", version, &view{home: Home{ID: "a"}})
	if v, _ := c.get("a"); v == nil || v.home.ID != "a" {
		t.Fatal("a current load was not cached")
	}
	c.invalidate("a")
	if v, _ := c.get("a"); v != nil {
		t.Fatal("invalidate kept the view")
	}
}
