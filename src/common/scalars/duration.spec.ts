import { graphql, GraphQLError, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { Duration } from 'luxon';
import { formatIsoDuration, InvalidDurationError, parseIsoDuration } from './duration.js';
import { DurationScalar } from './scalars.js';

describe('parseIsoDuration', () => {
  it.each<[string, Record<string, number>]>([
    ['P7D', { days: 7 }],
    ['-P7D', { days: -7 }],
    ['+P1W', { weeks: 1 }],
    ['PT2H30M', { hours: 2, minutes: 30 }],
    ['PT30S', { seconds: 30 }],
    ['-PT1.5S', { seconds: -1, milliseconds: -500 }],
    ['P1Y2M3DT4H5M6S', { years: 1, months: 2, days: 3, hours: 4, minutes: 5, seconds: 6 }],
  ])('reads %s', (text, units) => {
    expect(parseIsoDuration(text).toObject()).toMatchObject(units);
  });

  it.each([
    'P',
    '-P',
    'PT',
    'P1DT',
    '7D',
    'p7d',
    ' P7D',
    'P-7D',
    'P1DT-2H',
    'P1.5D',
    'PT1.2345S',
    'P20Y',
    'P7D ',
    '',
    'P1H',
  ])('refuses %j', (text) => {
    expect(() => parseIsoDuration(text)).toThrow(InvalidDurationError);
  });

  it('refuses what is not a string', () => {
    expect(() => parseIsoDuration(7)).toThrow(InvalidDurationError);
    expect(() => parseIsoDuration(null)).toThrow(InvalidDurationError);
  });
});

describe('formatIsoDuration', () => {
  it.each([
    ['P7D', 'P7D'],
    ['-P7D', '-P7D'],
    ['+P7D', 'P7D'],
    ['PT2H30M', 'PT2H30M'],
    ['-PT1.5S', '-PT1.5S'],
    ['PT0.05S', 'PT0.05S'],
    ['PT0M', 'PT0S'],
    ['-P0D', 'PT0S'],
    ['P1WT12H', 'P1WT12H'],
  ])('writes %s as %s', (text, canonical) => {
    expect(formatIsoDuration(parseIsoDuration(text))).toBe(canonical);
  });

  it('round-trips', () => {
    for (const text of ['P1Y2M3W4DT5H6M7.008S', '-PT90M', 'P3D']) {
      expect(formatIsoDuration(parseIsoDuration(text))).toBe(text);
    }
  });
});

describe('Duration scalar', () => {
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        echo: {
          type: DurationScalar,
          args: { d: { type: DurationScalar } },
          resolve: (_, { d }: { d: string }) => d,
        },
        luxon: { type: DurationScalar, resolve: () => Duration.fromObject({ days: -2 }) },
        name: { type: GraphQLString, resolve: () => DurationScalar.name },
      },
    }),
  });

  it('is named Duration and answers canonical strings from variables and literals', async () => {
    expect(DurationScalar.name).toBe('Duration');
    const fromVariable = await graphql({
      schema,
      source: 'query ($d: Duration) { echo(d: $d) }',
      variableValues: { d: '+PT0M' },
    });
    expect(fromVariable).toEqual({ data: { echo: 'PT0S' } });
    const fromLiteral = await graphql({ schema, source: '{ echo(d: "-P7D") luxon }' });
    expect(fromLiteral).toEqual({ data: { echo: '-P7D', luxon: '-P2D' } });
  });

  it('refuses a bad value with BAD_USER_INPUT', async () => {
    expect(() => DurationScalar.parseValue('P1DT-2H')).toThrow(GraphQLError);
    let caught: unknown;
    try {
      DurationScalar.parseValue('soon');
    } catch (error) {
      caught = error;
    }
    expect((caught as GraphQLError).extensions).toEqual({ code: 'BAD_USER_INPUT' });
    const result = await graphql({
      schema,
      source: 'query ($d: Duration) { echo(d: $d) }',
      variableValues: { d: 'P' },
    });
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.message).toContain('signed ISO 8601 duration');
    const literal = await graphql({ schema, source: '{ echo(d: 7) }' });
    expect(literal.errors?.length).toBe(1);
  });
});
