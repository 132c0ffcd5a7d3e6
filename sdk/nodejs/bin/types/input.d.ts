export {};
//# sourceMappingURL=input.d.ts.map