interface User {
  name: string;
}

const u: User = { name: 42 };
console.log(u, missing);
