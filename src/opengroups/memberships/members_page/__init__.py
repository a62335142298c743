"""The members page of a group, planned by size: contained here because it is performance
machinery, not a rule.

A page is ordered by user name (then id). Sorting every member of a 50,000-member group for
each page would be costly (``docs/performance.md``), so a page is read one of three ways,
whichever the counts (known before the page is read) say is cheaper:

- **walk**: go through the ``user(name, id)`` index in order, from the nearer end, and keep the
  users who belong (an index probe each, and for effective or inherited members a look at the
  user's own memberships); cheap when the members are a large share of all users.
- **walk by set**: the same walk, but first gather the members of the groups below into a set,
  so each step is one probe of the group and one of the set; for long walks in a group with a
  modest subtree.
- **sort**: gather the members from ``group_member``, look their users up and sort them; cheap
  for a small group.

``costs`` is the pure cost model that chooses (tested with tables), ``statements`` the SQL of
each shape, ``reader`` the reads. The choice changes the cost, never the result; the inherited
count, the only count that needs work, is cached under a digest of the subtree it was counted
in, so it is never stale.
"""
