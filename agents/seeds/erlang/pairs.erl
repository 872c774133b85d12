-module(pairs).
-export([pairs_summing_to/2]).

pairs_summing_to(Xs, Target) ->
    [{A, B} || {I, A} <- lists:enumerate(Xs), {J, B} <- lists:enumerate(Xs), I < J, A + B =:= Target].
