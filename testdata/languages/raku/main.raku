say [+] $*IN.slurp.words.map(*.Int);
