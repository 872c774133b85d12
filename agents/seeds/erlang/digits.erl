-module(digits).
-export([digit_sum/1]).

digit_sum(N) when N < 0 -> digit_sum(-N);
digit_sum(N) when N < 10 -> N;
digit_sum(N) -> N rem 10 + digit_sum(N div 10).
