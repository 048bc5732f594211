module cpat/bench/go

go 1.19
