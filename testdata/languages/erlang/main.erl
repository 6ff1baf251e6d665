-module(main).
-export([main/1]).

main(_Args) ->
    io:format("~B~n", [sum(0)]).

sum(Acc) ->
    case io:fread("", "~d") of
        {ok, [X]} -> sum(Acc + X);
        _ -> Acc
    end.
