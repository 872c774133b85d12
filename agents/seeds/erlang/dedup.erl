-module(dedup).
-export([dedup/1]).

%% Drops adjacent repeats: [1, 1, 2, 1] -> [1, 2, 1].
dedup([X, X | Rest]) -> dedup([X | Rest]);
dedup([X | Rest]) -> [X | dedup(Rest)];
dedup([]) -> [].
