module.exports = { testEnvironment: "node", testMatch: ["**/components/**/*.test.js"] };
