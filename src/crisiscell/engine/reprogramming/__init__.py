"""The parts of the reprogramming optimiser and of the hand method. The entry module is
`crisiscell.engine.reprogram` (`deprogram`, `reprogram`, `greedy_edf`): its doc describes
the rules, the objective and the method. Here, in the order they build on each other:

- `costs`: what moving an appointment, leaving it unplaced, or a whole plan costs;
- `plan`: the output, `Plan` and its `PlanRow` (FORMATS.md §3), how each patient is told;
- `deprogramming`: what the crisis days keep and what they postpone;
- `depends_on`: the order of appointments linked by ``depends_on`` (cycles, depths);
- `problem`: the prepared problem: what is fixed, what moves and between which days, the
  room left, and the classes of interchangeable appointments;
- `components`: its independent parts, their capacity rows, a plan's cost and check there;
- `integer_program`: a component's integer program in HiGHS (relaxation, branch and bound);
- `rounding`: phase 1, the relaxation's bound and the plan rounded from it;
- `solve`: phase 1 on every component, then phase 2 until the gap or the time limit;
- `times`: times of day for the moved appointments, and the plan's rows;
- `greedy`: the hand method, earliest deadline first.

No Django here.
"""
