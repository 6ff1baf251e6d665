interface User {
  profile?: { name: string };
}

function name(user: User): string {
  return user.profile!.name;
}

console.log(name({}));
