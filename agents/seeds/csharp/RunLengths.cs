using System.Collections.Generic;

static class RunLengths {
    static List<long> Runs(string s) {
        var runs = new List<long>();
        for (int i = 0; i < s.Length; i++) {
            if (i > 0 && s[i] == s[i - 1]) runs[runs.Count - 1]++;
            else runs.Add(1);
        }
        return runs;
    }
}
