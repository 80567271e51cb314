from lrucache import LRUCache, memoize


def test_get_marks_entry_as_recently_used():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert "a" in cache
    assert "b" not in cache


def test_keys_order_after_reads():
    cache = LRUCache(3)
    for key in "abc":
        cache.put(key, key.upper())
    cache.get("a")
    cache.get("b")
    assert cache.keys() == ["c", "a", "b"]


def test_on_evict_reports_least_recently_read():
    evicted = []
    cache = LRUCache(2, on_evict=lambda k, v: evicted.append(k))
    cache.put("x", 1)
    cache.put("y", 2)
    cache.get("x")
    cache.put("z", 3)
    assert evicted == ["y"]


def test_memoize_keeps_frequently_used_results():
    calls = []

    @memoize(maxsize=2)
    def double(x):
        calls.append(x)
        return 2 * x

    double(1)
    double(2)
    double(1)   # 1 is now the most recently used result
    double(3)   # evicts 2, not 1
    double(1)
    assert calls == [1, 2, 3]


def test_miss_does_not_change_order():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("nope")
    assert cache.keys() == ["a", "b"]


def test_peek_and_contains_do_not_change_order():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.peek("a") == 1
    assert "a" in cache
    cache.put("c", 3)
    assert cache.keys() == ["b", "c"]
    assert cache.stats.hits == 0
