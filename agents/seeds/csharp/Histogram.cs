using System.Collections.Generic;

static class Histogram {
    static Dictionary<long, long> Counts(List<long> xs) {
        var counts = new Dictionary<long, long>();
        foreach (var x in xs) {
            counts[x] = counts.ContainsKey(x) ? counts[x] + 1 : 1;
        }
        return counts;
    }
}
