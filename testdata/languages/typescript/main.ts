import { readFileSync } from "fs";

const words: string[] = readFileSync(0, "utf8").split(/\s+/).filter((w) => w !== "");
const sum: bigint = words.reduce((acc: bigint, w: string) => acc + BigInt(w), 0n);
console.log(sum.toString());
