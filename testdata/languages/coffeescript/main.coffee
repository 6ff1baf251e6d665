words = require('fs').readFileSync(0, 'utf8').split(/\s+/).filter(Boolean)
console.log words.reduce(((sum, w) -> sum + BigInt(w)), 0n).toString()
