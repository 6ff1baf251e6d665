(println (reduce + 0 (map #(Long/parseLong %) (re-seq #"-?\d+" (slurp *in*)))))
