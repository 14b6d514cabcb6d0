import { dispatchOpenLoop } from "../../apps/bench/open-loop";

describe("the open-loop dispatcher the load test shares with the bench", () => {
  test("hands each request over at or after its scheduled time, in order, on the plan's clock", async () => {
    const plan = [0, 10_000, 20_000, 30_000].map((atUs, id) => ({ atUs, id }));
    const seen: { id: number; lateUs: number }[] = [];
    await dispatchOpenLoop(
      plan,
      async (request, nowUs) => {
        seen.push({ id: request.id, lateUs: nowUs() - request.atUs });
      },
      { maxInFlight: 10, dropped: () => undefined },
    );
    expect(seen.map((s) => s.id)).toEqual([0, 1, 2, 3]);
    for (const s of seen) expect(s.lateUs).toBeGreaterThanOrEqual(0);
  });

  test("does not wait for answers before sending the next (open model); over maxInFlight goes to dropped", async () => {
    const plan = [0, 1_000, 2_000, 3_000, 4_000].map((atUs, id) => ({ atUs, id }));
    const sent: number[] = [];
    const dropped: number[] = [];
    let finished = 0;
    // no answer comes back until the whole plan has been handed out
    let release: () => void = () => undefined;
    const answers = new Promise<void>((resolve) => {
      release = resolve;
    });
    const settle = () => {
      if (sent.length + dropped.length === plan.length) release();
    };
    await dispatchOpenLoop(
      plan,
      async (request) => {
        sent.push(request.id);
        settle();
        await answers;
        finished++;
      },
      {
        maxInFlight: 3,
        dropped: (request) => {
          dropped.push(request.id);
          settle();
        },
      },
    );
    expect([sent, dropped]).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    // it returns only once the pending answers are in
    expect(finished).toBe(3);
  });

  test("a failing send neither stops the plan nor escapes", async () => {
    const plan = [0, 1_000, 2_000].map((atUs, id) => ({ atUs, id }));
    const sent: number[] = [];
    await expect(
      dispatchOpenLoop(
        plan,
        async (request) => {
          sent.push(request.id);
          if (request.id === 0) throw new Error("boom");
        },
        { maxInFlight: 10, dropped: () => undefined },
      ),
    ).resolves.toMatchObject({ sendLagUs: expect.any(Object) });
    expect(sent).toEqual([0, 1, 2]);
  });
});
