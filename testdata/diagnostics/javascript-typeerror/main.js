function name(user) {
  return user.profile.name;
}

console.log(name({}));
