interface User {
  profile?: { name: string };
}

function userName(user: User): string {
  return user.profile!.name;
}

console.log(userName({}));
