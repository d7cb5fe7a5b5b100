package import Contracts
package import Foundation

/// When a drone is expected at the pickup and drop-off points (real time; the simulation's time
/// scale does not change them).
package struct FlightTimes: Sendable, Hashable {
    /// Expected arrival at the pickup point.
    package var pickupEta: Date
    /// Expected arrival at the drop-off point.
    package var dropoffEta: Date

    /// Explicit times.
    package init(pickupEta: Date, dropoffEta: Date) {
        self.pickupEta = pickupEta
        self.dropoffEta = dropoffEta
    }

    /// The ETAs for a drone at `home` flying `route` at `speedKmh`:
    /// `pickupEta = max(now, pickupTime) + home→pickup / speed`,
    /// `dropoffEta = pickupEta + pickup→dropoff / speed`, rounded to whole milliseconds (the
    /// precision events carry).
    package static func estimate(
        now: Date, pickupTime: Date, home: GeoLocation, route: DeliveryRoute, speedKmh: Double
    ) -> FlightTimes {
        precondition(speedKmh > 0, "a drone's speed is positive")
        let start = max(now, pickupTime)
        let toPickup = GreatCircle.distanceKm(from: home, to: route.pickup) / speedKmh * 3600
        let pickupEta = wholeMilliseconds(start.addingTimeInterval(toPickup))
        let toDropoff = route.pickupToDropoffKm / speedKmh * 3600
        return FlightTimes(pickupEta: pickupEta, dropoffEta: wholeMilliseconds(pickupEta.addingTimeInterval(toDropoff)))
    }

    private static func wholeMilliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}

/// When the simulated flight's events happen: the real flight durations multiplied by the time
/// scale (`DRONE_TIME_SCALE`; 0 = at once, 1 = real time).
package struct FlightSimulation: Sendable, Hashable {
    /// The factor applied to real flight durations (≥ 0).
    package var timeScale: Double

    /// A simulation at `timeScale` (≥ 0).
    package init(timeScale: Double) {
        precondition(timeScale >= 0 && timeScale.isFinite, "the time scale is a finite number ≥ 0")
        self.timeScale = timeScale
    }

    /// When the pickup happens for a flight scheduled at `now`: `now + (pickupEta − now)·scale`,
    /// never before `now`.
    package func pickupDate(now: Date, times: FlightTimes) -> Date {
        now.addingTimeInterval(max(0, times.pickupEta.timeIntervalSince(now)) * timeScale)
    }

    /// When the drop-off happens for a pickup at `now`: `now + (dropoffEta − pickupEta)·scale`,
    /// never before `now`.
    package func dropoffDate(now: Date, times: FlightTimes) -> Date {
        now.addingTimeInterval(max(0, times.dropoffEta.timeIntervalSince(times.pickupEta)) * timeScale)
    }
}
